"""Connection arguments for Airflow's metadata DB when it is SQLite (the `make run` default).

Airflow imports this module while it sets up its own ORM, so it must import nothing:
``AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS=safegov.airflow.sqlite_args.CONNECT_ARGS``
(set by scripts/airflow_env.sh). Python's default busy timeout of 5 s makes the scheduler,
the API server and the CLI (`airflow backfill create` inserting many runs at once) fail with
"database is locked" on a busy machine; waiting up to a minute lets them take turns.
"""

CONNECT_ARGS = {"timeout": 60}
