"""Fixtures of the dashboard tests: a seeded database, a users file and Airflow-style JWTs."""

from __future__ import annotations

import pytest

SECRET = "safegov-dashboard-test-secret-" + "x" * 40  # ≥ 64 bytes: no short-HMAC warning
AUDIENCE = "urn:airflow.apache.org:task"

USERS_YAML = """\
admin_scope: all
users:
  region_office: "150000"
  hohhot_office: "150100"
  xincheng_office: "150102"
  donghe_office: 150202
"""


@pytest.fixture
def users_file(tmp_path):
    p = tmp_path / "dashboard_users.yaml"
    p.write_text(USERS_YAML, encoding="utf-8")
    return p


@pytest.fixture
def make_token():
    from airflow.api_fastapi.auth.tokens import JWTGenerator

    gen = JWTGenerator(secret_key=SECRET, audience=AUDIENCE, valid_for=600, issuer=None, algorithm="HS512")

    def make(username: str, role: str | None = "VIEWER", *, valid_for: float | None = None) -> str:
        return gen.generate({"sub": username, "role": role}, valid_for=valid_for)

    return make


@pytest.fixture
def verifier():
    from safegov.web.auth import jwt_validator_verifier

    return jwt_validator_verifier(secret_key=SECRET, audience=AUDIENCE, leeway=0, issuer=None, algorithm=["HS512"])


@pytest.fixture
def seeded(engine):
    from .seed import seed

    seed(engine)
    return engine


@pytest.fixture
def client(seeded, verifier, users_file, tmp_path):
    from fastapi.testclient import TestClient

    from safegov.web.app import create_app

    app = create_app(seeded, verifier=verifier, users_file=users_file, data_dir=tmp_path / "data")
    with TestClient(app) as c:
        yield c


@pytest.fixture
def as_user(client, make_token):
    """GET as a signed-in user (bearer token)."""

    def get(username: str, path: str, role: str = "VIEWER", **kw):
        return client.get(path, headers={"Authorization": f"Bearer {make_token(username, role)}"}, **kw)

    return get
