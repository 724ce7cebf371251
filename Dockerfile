# safegov production image: the official Airflow image plus the locked dependencies and the
# safegov package (editable, so that the mounted include/ is the code that runs).
FROM apache/airflow:3.3.2-python3.11

USER airflow
WORKDIR /opt/safegov
COPY --chown=airflow:0 requirements.lock pyproject.toml ./
COPY --chown=airflow:0 include ./include
# requirements.lock pins everything the project was tested with (apache-airflow==3.3.2 is
# already in the image and stays). The FAB auth manager provider is not in the lock: it is
# only needed here, for roles in production (3.10.2 resolves beside Airflow 3.3.2; it pulls
# python-dateutil back to 2.9.0.post0).
RUN pip install --no-cache-dir -r requirements.lock \
 && pip install --no-cache-dir "apache-airflow-providers-fab==3.10.2" \
 && pip install --no-cache-dir --no-deps -e .
WORKDIR /opt/airflow
