"""safegov's Airflow plugin: registers the ``GraceTimetable`` so schedulers can deserialize it.

Kept light on purpose: every Airflow process imports plugins at start-up. The dashboard
(FastAPI app) is registered by its own plugin file, ``plugins/safegov_web.py``.
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from safegov.airflow.timetable import GraceTimetable


class SafegovPlugin(AirflowPlugin):
    name = "safegov"
    timetables = [GraceTimetable]
