"""Airflow plumbing: task helpers shared by the DAGs and the grace timetable."""
