"""The hash-chained audit log: appends chain, verify names the first broken link."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import delete, text, update

from safegov.core.periods import TZ
from safegov.db import audit
from safegov.db.models import AuditLog

AT = dt.datetime(2024, 4, 9, 0, 0, tzinfo=TZ)


def _fill(session, n=5):
    for i in range(n):
        audit.append(
            session,
            "evaluation",
            f"SC-MEET-LOCAL|150102|2024-0{i + 1}",
            "status",
            {"status": "missed", "i": i, "名": "新城区"},
            AT,
        )
    session.commit()


def test_chain_verifies(session):
    _fill(session)
    result = audit.verify(session)
    assert result.ok and result.checked == 5


def _as_dba(session):
    """A superuser bypassing the append-only trigger, as an attacker with DB access would."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))


@pytest.mark.postgres
@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)  # the append-only trigger is PostgreSQL's
def test_update_and_delete_are_refused_on_postgresql(session):
    _fill(session, 2)
    with pytest.raises(Exception, match="append-only: UPDATE refused"):
        session.execute(update(AuditLog).values(action="x"))
    session.rollback()
    with pytest.raises(Exception, match="append-only: DELETE refused"):
        session.execute(delete(AuditLog))
    session.rollback()


def test_tampered_payload_is_named(session):
    _fill(session)
    _as_dba(session)
    target = session.query(AuditLog).order_by(AuditLog.id).all()[2]
    session.execute(
        update(AuditLog).where(AuditLog.id == target.id).values(payload={"status": "met", "i": 2, "名": "新城区"})
    )
    session.commit()
    result = audit.verify(session)
    assert not result.ok
    assert result.broken_id == target.id
    assert "content does not match" in result.reason


def test_deleted_link_breaks_the_next(session):
    _fill(session)
    rows = session.query(AuditLog).order_by(AuditLog.id).all()
    _as_dba(session)
    session.delete(rows[1])
    session.commit()
    result = audit.verify(session)
    assert not result.ok and result.broken_id == rows[2].id and "prev_hash" in result.reason


def test_append_many_links_in_order(session):
    audit.append_many(session, [("case", "k1", "opened", {"a": 1}), ("case", "k1", "approved", {"a": 2})], AT)
    session.commit()
    rows = session.query(AuditLog).order_by(AuditLog.id).all()
    assert rows[1].prev_hash == rows[0].hash
    assert audit.verify(session).ok
