"""The compliance dashboard (安全生产治理) served inside the Airflow 3 UI; see ``app.create_app``."""
