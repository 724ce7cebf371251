"""The security tests reuse the dashboard's fixtures (seeded database, users file, tokens, test client)."""

from __future__ import annotations

from tests.web.conftest import as_user, client, make_token, seeded, users_file, verifier

__all__ = ["as_user", "client", "make_token", "seeded", "users_file", "verifier"]
