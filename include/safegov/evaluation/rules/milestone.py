"""The ``milestone`` rule (〔九〕〔十三〕 one-off construction duties, cadence ``once``): records of a
milestone counted against the quota by the due date.

It is the ``count`` statement over a single period that spans all time: achieved by the due
date and reported within grace → ``met``; achieved by the due date but reported after the
grace → ``met_late``; the quota reached only with records dated after the due date →
``missed`` with reason ``late_completion`` (a deadline of the decision, e.g. 〔九〕 "2017年年底前…
全部设立", is missed when the work is finished later; the evidence keeps the records and so
their completion dates); too few → ``missed``.
"""

from __future__ import annotations

from safegov.evaluation.rules import count
from safegov.evaluation.rules.base import RuleKind

RULE = RuleKind("milestone", count.plan)
