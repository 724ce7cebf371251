"""The ``milestone`` rule (〔九〕〔十三〕 one-off construction duties, cadence ``once``): records of a
milestone counted against the quota by the due date.

It is the ``count`` statement over a single period that spans all time: achieved by the due
date and reported within grace → ``met``, otherwise ``met_late``; too few → ``missed``.
"""

from __future__ import annotations

from safegov.evaluation.rules import count
from safegov.evaluation.rules.base import RuleKind

RULE = RuleKind("milestone", count.plan)
