"""Airflow plugin: the "Safety governance" (安全生产治理) page in the Airflow 3 UI.

- ``fastapi_apps`` mounts the dashboard (``safegov.web.app.create_app``) at ``/safegov``
  on the API server. Airflow does not authenticate plugin apps; the app checks the
  Airflow JWT (``_token`` cookie or ``Authorization: Bearer``) on every route itself.
- ``external_views`` (Airflow 3.1+) adds a navigation entry that renders ``/safegov/``
  inside the UI at ``/plugin/safegov`` (an iframe on the same origin, so the cookie goes
  along).

``create_app()`` only reads config/units.csv; the compliance database is opened per
request, so loading plugins (scheduler, DAG processor, ``airflow plugins``) touches no DB.
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from safegov.web.app import create_app


class SafegovWebPlugin(AirflowPlugin):
    name = "safegov_web"
    fastapi_apps = [{"app": create_app(), "url_prefix": "/safegov", "name": "safegov dashboard"}]
    external_views = [
        {
            "name": "安全生产治理 Safety governance",
            "href": "/safegov/",
            "destination": "nav",
            "url_route": "safegov",
            "icon": "/safegov/icon.svg",
        }
    ]
