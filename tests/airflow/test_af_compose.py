"""docker-compose.yml: the production shape, and only settings that something reads.

Docker cannot run here, so the file is parsed and checked: every AIRFLOW__SECTION__KEY must
be an option in Airflow's configuration description (core, providers included), every
SAFEGOV_* variable must be read by safegov, and anything else is on a short, explained list.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"

# Variables read by the images' entrypoints or by other libraries, not by Airflow's config.
OTHER_READERS = {
    "POSTGRES_USER": "postgres image",
    "POSTGRES_PASSWORD": "postgres image",
    "POSTGRES_DB": "postgres image",
    "SAFEGOV_DB_PASSWORD": "scripts/postgres-init.sh",
    "SENDGRID_API_KEY": "safegov.notification.mail.get_mailer",
    "SAFEGOV_ADMIN_PASSWORD": "airflow-init command (FAB admin user)",
    "DUMB_INIT_SETSID": "apache/airflow image entrypoint (dumb-init)",
}
SERVICES = {
    "postgres",
    "redis",
    "airflow-init",
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
    "airflow-worker",
}


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def _environment(compose):
    for name, service in compose["services"].items():
        env = service.get("environment") or {}
        if isinstance(env, list):
            env = dict(item.split("=", 1) for item in env)
        for key, value in env.items():
            yield name, key, value


def _airflow_options() -> set[tuple[str, str]]:
    from airflow.configuration import conf

    options = set()
    for section, opts in conf.configuration_description.items():
        for key in opts.get("options") or {}:
            options.add((section.lower(), key.lower()))
    # Provider sections (celery, fab) are described by the providers' own config.
    from airflow.providers_manager import ProvidersManager

    for section, desc in ProvidersManager().provider_configs:
        for key in desc.get("options") or {}:
            options.add((section.lower(), key.lower()))
    return options


def _safegov_reads() -> set[str]:
    names = set()
    for path in (ROOT / "include" / "safegov").rglob("*.py"):
        names.update(re.findall(r"[\"'](SAFEGOV_[A-Z_]+)[\"']", path.read_text(encoding="utf-8")))
    return names


def test_production_services_are_all_there(compose):
    assert SERVICES <= set(compose["services"])
    api = compose["services"]["airflow-apiserver"]
    assert "8080:8080" in api["ports"]
    assert compose["services"]["airflow-worker"]["command"] == "celery worker"


def test_every_environment_variable_is_read_by_someone(compose):
    options = _airflow_options()
    safegov = _safegov_reads()
    unknown = []
    for service, key, _ in _environment(compose):
        if key.startswith("AIRFLOW__"):
            parts = key.split("__")
            if len(parts) != 3 or (parts[1].lower(), parts[2].lower()) not in options:
                unknown.append((service, key))
        elif key.startswith("SAFEGOV_") and key not in OTHER_READERS:
            if key not in safegov:
                unknown.append((service, key))
        elif key not in OTHER_READERS:
            unknown.append((service, key))
    assert unknown == []


def test_same_settings_as_make_run(compose):
    env = dict((k, v) for s, k, v in _environment(compose) if s == "airflow-scheduler")
    run_env = (ROOT / "scripts" / "airflow_env.sh").read_text(encoding="utf-8")
    assert env["AIRFLOW__CORE__DEFAULT_TIMEZONE"] == "Asia/Shanghai"
    assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "false"
    assert env["AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION"] == "false"
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert "fab_auth_manager.FabAuthManager" in env["AIRFLOW__CORE__AUTH_MANAGER"]
    for key in (
        "AIRFLOW__CORE__DEFAULT_TIMEZONE",
        "AIRFLOW__CORE__LOAD_EXAMPLES",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION",
        "SAFEGOV_DATABASE_URL",
        "SAFEGOV_INBOX",
    ):
        assert key in run_env
    # the compliance DB is a different database from Airflow's metadata DB
    assert (
        env["SAFEGOV_DATABASE_URL"].rsplit("/", 1)[-1] != env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].rsplit("/", 1)[-1]
    )


def test_code_and_config_are_mounted(compose):
    volumes = compose["services"]["airflow-worker"]["volumes"]
    sources = {v.split(":")[0] for v in volumes}
    assert {"./dags", "./plugins", "./include", "./config"} <= sources


def test_dockerfile_builds_on_the_pinned_airflow_image():
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert (
        text.splitlines()[[ln.startswith("FROM") for ln in text.splitlines()].index(True)]
        == "FROM apache/airflow:3.3.2-python3.11"
    )
    assert "requirements-runtime.lock" in text and "-e ." in text  # FAB comes with the runtime lock


def test_the_check_knows_real_options_from_made_up_ones():
    options = _airflow_options()
    assert ("core", "default_timezone") in options and ("celery", "broker_url") in options
    assert ("core", "default_timezon") not in options and ("celery", "brokers_url") not in options


def _named_volumes(compose, service: str) -> dict[str, str]:
    """Named volume → mount point of a service (bind mounts start with . or /)."""
    out = {}
    for v in compose["services"][service]["volumes"]:
        source, target = v.split(":")[:2]
        if source in compose["volumes"]:
            out[source] = target
    return out


def test_init_owns_the_named_volumes_for_the_airflow_user(compose):
    """Docker creates a named volume owned by root: as in the official Airflow compose, init
    runs as root, creates the folders the services write to and hands them to AIRFLOW_UID:0
    before and after its own commands; every other Airflow service runs as that user."""
    init = compose["services"]["airflow-init"]
    assert init["user"] == "0:0"
    script = init["command"][-1]
    lines = [ln.strip() for ln in script.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    mounts = _named_volumes(compose, "airflow-init")
    assert set(mounts) == {"safegov-data", "airflow-logs"}
    chowns = [i for i, ln in enumerate(lines) if ln.startswith('chown -R "${AIRFLOW_UID:-50000}:0"')]
    assert len(chowns) == 2 and chowns[-1] == len(lines) - 1
    for target in mounts.values():
        assert all(target in lines[i].split() for i in chowns), target
    first_airflow = next(i for i, ln in enumerate(lines) if ln.startswith(("airflow ", "safegov ", "python ")))
    assert lines[0] == "set -e" and chowns[0] < first_airflow
    assert lines[1].startswith("mkdir -p ") and "/opt/airflow/data/inbox" in lines[1].split()
    # the inbox the ingest reads lies in the volume init prepared
    env = compose["x-airflow-common"]["environment"]
    assert env["SAFEGOV_INBOX"].startswith(mounts["safegov-data"] + "/")
    for name, service in compose["services"].items():
        if name.startswith("airflow-") and name != "airflow-init":
            assert service["user"] == "${AIRFLOW_UID:-50000}:0", name
            assert set(_named_volumes(compose, name)) <= set(mounts), name
