# safegov production image: the official Airflow image plus the locked runtime dependencies
# and the safegov package (editable, so that the mounted include/ is the code that runs).
FROM apache/airflow:3.3.2-python3.11

USER airflow
WORKDIR /opt/safegov
COPY --chown=airflow:0 requirements-runtime.lock pyproject.toml ./
COPY --chown=airflow:0 include ./include
# requirements-runtime.lock pins what runs, nothing for tests (no pytest, playwright, ruff):
# the same versions as requirements.lock (compiled with it as constraints), and the FAB auth
# manager provider with them. apache-airflow==3.3.2 is already in the image and stays.
# tests/airflow/test_af_image.py runs these two install lines into a fresh venv.
RUN pip install --no-cache-dir -r requirements-runtime.lock \
 && pip install --no-cache-dir --no-deps -e .
WORKDIR /opt/airflow
