"""The audit chain anchored (#17 item 5): signed checkpoints catch a cut tail or a rewritten
chain, and the states replayed from the chain catch edits made around the product.

Each attack is made as someone with write access to the database would make it (on
PostgreSQL, first switching off the append-only triggers, as a superuser can)."""

from __future__ import annotations

import datetime as dt
import os
import stat
from types import SimpleNamespace

import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.orm import Session
from tests.accountability.escalate_helpers import COUNTY, ENT, LEAGUE, World, sh

from safegov.db import audit
from safegov.db.checkpoint import (
    AuditKey,
    AuditKeyError,
    CheckpointError,
    checkpoints,
    latest,
    verify_all,
    write_checkpoint,
)
from safegov.db.models import AuditCheckpoint, AuditLog, BlacklistEntry, Case, Evaluation

KEY = AuditKey(b"k" * 32)
OTHER_KEY = AuditKey(b"o" * 32)
SIGNED_AT = sh(2024, 4, 20, 12)


def _as_dba(session: Session) -> None:
    """Switch off the append-only triggers, as a superuser with database access could."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
        session.execute(text("ALTER TABLE audit_checkpoint DISABLE TRIGGER audit_checkpoint_append_only"))


@pytest.fixture
def audited(engine):
    """Real changes through the product: March's local committee meetings evaluated (every
    unit missed them), escalated (cases), a major accident making an enterprise a blacklist candidate,
    and the chain signed."""
    from safegov.accountability.escalation import escalate
    from safegov.evaluation.engine import evaluate_period
    from safegov.org.units import sync_units
    from safegov.register.obligations import load_register

    with Session(engine) as s, s.begin():
        sync_units(s)
    world = World(engine)
    for unit in ("150000", LEAGUE, COUNTY):
        world.posts(unit)
    world.enterprise()
    # A major (重大) accident: a blacklist ground under MEM Order No. 11 (a single larger one is not).
    world.accident("A1", enterprise_id=ENT, occurred=sh(2024, 3, 5, 10), deaths=10)
    register = load_register()
    evaluate_period(engine, register, "SC-MEET-LOCAL", "2024-03", as_of=sh(2024, 4, 20), run_id="t", historical=False)
    escalate(engine, register, "2024-03", "2024-03", as_of=sh(2024, 4, 20))
    with Session(engine) as s, s.begin():
        write_checkpoint(s, KEY, SIGNED_AT, run_id="t")
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Case)) > 0
        assert s.scalar(select(func.count()).select_from(BlacklistEntry)) > 0
        assert s.scalar(select(func.count()).select_from(Evaluation).where(Evaluation.status == "missed")) > 0
    return engine


def _verify(engine, key=KEY, **kw) -> audit.VerifyResult:
    with Session(engine) as s:
        return verify_all(s, key=key, **kw)


def _tamper(engine, *statements) -> None:
    with Session(engine) as s, s.begin():
        _as_dba(s)
        for stmt in statements:
            s.execute(stmt)


def test_an_untouched_database_verifies_against_its_checkpoint(audited):
    result = _verify(audited)
    assert result.ok, result.reason
    assert result.anchors == 1 and result.state_checked
    with Session(audited) as s:
        assert result.checked == s.scalar(select(func.count()).select_from(AuditLog))
        assert result.head_hash == latest(s).head_hash


def test_a_cut_tail_is_named(audited):
    with Session(audited) as s:
        n = s.scalar(select(func.count()).select_from(AuditLog))
        third_last = s.scalars(select(AuditLog.id).order_by(AuditLog.id.desc()).limit(3)).all()[-1]
    _tamper(audited, delete(AuditLog).where(AuditLog.id >= third_last))
    result = _verify(audited)
    assert not result.ok
    assert f"the chain has {n - 3} links but checkpoint #1" in result.reason
    assert f"the 3 link(s) after link {n - 3} were removed" in result.reason


def test_an_emptied_chain_is_named(audited):
    _tamper(audited, delete(AuditLog))
    result = _verify(audited)
    assert not result.ok and "the chain has 0 links but checkpoint #1" in result.reason


def test_a_rewritten_chain_does_not_match_its_checkpoint(audited):
    """The whole chain recomputed by the attacker (every link valid) after changing one
    payload: the hash chain holds, the checkpoint does not."""
    with Session(audited) as s:
        rows = [
            (r.at, r.entity, r.entity_key, r.action, r.payload)
            for r in s.scalars(select(AuditLog).order_by(AuditLog.id))
        ]
    at, entity, key, action, payload = rows[0]
    rows[0] = (at, entity, key, action, {**payload, "run_id": "forged"})
    with Session(audited) as s, s.begin():
        _as_dba(s)
        s.execute(delete(AuditLog))
        audit.append_many(s, [(e, k, a, p) for _, e, k, a, p in rows], at)
    result = _verify(audited)
    assert not result.ok
    assert "is not the head checkpoint #1" in result.reason and "rewritten" in result.reason


def test_a_forged_checkpoint_is_named(audited):
    """Cut the tail, then move the checkpoint to the new head without the key."""
    with Session(audited) as s:
        last = s.scalars(select(AuditLog).order_by(AuditLog.id.desc()).limit(2)).all()[-1]
        cp = latest(s)
    _tamper(
        audited,
        delete(AuditLog).where(AuditLog.id > last.id),
        update(AuditCheckpoint).values(length=cp.length - 1, head_id=last.id, head_hash=last.hash),
    )
    result = _verify(audited)
    assert not result.ok and "signature does not match its values (altered or forged)" in result.reason


def test_a_checkpoint_signed_with_another_key_is_named(audited):
    result = _verify(audited, key=OTHER_KEY)
    assert not result.ok
    assert f"was signed with key {KEY.key_id}, the configured key is {OTHER_KEY.key_id}" in result.reason


def test_checkpoints_without_a_key_are_an_error(audited, monkeypatch, tmp_path):
    from safegov.core.settings import get_settings

    monkeypatch.delenv("SAFEGOV_AUDIT_KEY", raising=False)
    monkeypatch.setenv("SAFEGOV_AUDIT_KEY_FILE", str(tmp_path / "absent.key"))
    get_settings.cache_clear()
    try:
        with Session(audited) as s, pytest.raises(AuditKeyError, match="absent.key"):
            verify_all(s)
    finally:
        get_settings.cache_clear()


@pytest.mark.parametrize(
    "table, change, named",
    [
        (
            "evaluation",
            lambda ids: update(Evaluation).where(Evaluation.id == ids["missed"]).values(status="met"),
            "evaluation SC-MEET-LOCAL|{unit}|2024-03: holds 'met', the audit log says 'missed'",
        ),
        (
            "evaluation",
            lambda ids: delete(Evaluation).where(Evaluation.id == ids["missed"]),
            "evaluation SC-MEET-LOCAL|{unit}|2024-03: audited as 'missed'",
        ),
        ("case", lambda ids: update(Case).where(Case.id == ids["case"]).values(state="closed"), "case #{case}: "),
        (
            "blacklist",
            lambda ids: update(BlacklistEntry).where(BlacklistEntry.id == ids["entry"]).values(state="expired"),
            "blacklist_entry #{entry}: holds '{ent}|",
        ),
        (
            "scopes",
            lambda ids: update(BlacklistEntry).where(BlacklistEntry.id == ids["entry"]).values(scopes=["bidding"]),
            "blacklist_entry scopes #{entry}: holds ['bidding'], the audit log says ['",
        ),
    ],
)
def test_a_state_edited_around_the_product_is_named(audited, table, change, named):
    with Session(audited) as s:
        missed = s.scalars(
            select(Evaluation).where(Evaluation.status == "missed").order_by(Evaluation.subject_id)
        ).first()
        ids = {
            "missed": missed.id,
            "unit": missed.subject_id,
            "case": s.scalar(select(func.min(Case.id))),
            "entry": s.scalar(select(func.min(BlacklistEntry.id))),
            "ent": ENT,
        }
    _tamper(audited, change(ids))
    result = _verify(audited)
    assert not result.ok
    assert "1 row(s) differ from the audited changes" in result.reason
    assert named.format(**ids) in result.reason


def test_an_unaudited_row_is_named(audited):
    with Session(audited) as s:
        row = s.scalars(select(Evaluation).limit(1)).one()
        values = {c.name: getattr(row, c.key) for c in Evaluation.__table__.columns if c.name != "id"}
    _tamper(audited, Evaluation.__table__.insert().values({**values, "period": "2024-02", "status": "met"}))
    result = _verify(audited)
    assert not result.ok
    assert f"evaluation SC-MEET-LOCAL|{values['subject_id']}|2024-02: holds 'met', but no audited change made it" in (
        result.reason
    )


def test_scopes_changed_through_the_product_are_replayed(audited):
    from safegov.accountability import blacklist as bl

    with Session(audited) as s, s.begin():
        entry = s.scalar(select(func.min(BlacklistEntry.id)))
        bl.update_scopes(s, entry, ["bidding", "land_transfer"], on=dt.date(2024, 4, 21), by="office")
    assert _verify(audited).ok
    _tamper(audited, update(BlacklistEntry).where(BlacklistEntry.id == entry).values(scopes=["bidding"]))
    result = _verify(audited)
    assert not result.ok and f"blacklist_entry scopes #{entry}: holds ['bidding']" in result.reason


def test_a_published_anchor_catches_what_the_database_alone_cannot(audited):
    """Tail and checkpoints both removed: only the head published outside (bulletin, asset
    event) still shows the cut."""
    with Session(audited) as s:
        published = latest(s)
        last = s.scalar(select(func.max(AuditLog.id)))
    _tamper(audited, delete(AuditLog).where(AuditLog.id == last), delete(AuditCheckpoint))
    anchor = audit.Anchor(published.length, published.head_hash, "the March bulletin")
    result = _verify(audited, published=(anchor,))
    assert not result.ok and f"but the March bulletin signed {published.length}" in result.reason


def test_checkpoints_are_idempotent_and_follow_the_head(audited):
    with Session(audited) as s, s.begin():
        first = latest(s)
        again = write_checkpoint(s, KEY, SIGNED_AT + dt.timedelta(hours=1), run_id="retry")
    assert again == first
    with Session(audited) as s, s.begin():
        audit.append(s, "case", "k", "noted", {"x": 1}, SIGNED_AT)
        later = write_checkpoint(s, KEY, SIGNED_AT + dt.timedelta(hours=2), run_id="next")
    assert (later.length, later.head_id) == (first.length + 1, first.head_id + 1)
    with Session(audited) as s:
        assert [c.length for c in checkpoints(s)] == [first.length, first.length + 1]


def test_no_checkpoint_is_signed_over_a_cut_chain(audited):
    with Session(audited) as s:
        last = s.scalar(select(func.max(AuditLog.id)))
    _tamper(audited, delete(AuditLog).where(AuditLog.id == last))
    with Session(audited) as s, pytest.raises(CheckpointError, match="no longer holds checkpoint #1"):
        write_checkpoint(s, KEY, SIGNED_AT + dt.timedelta(days=1))


def test_an_empty_chain_signs_nothing(engine):
    with Session(engine) as s, s.begin():
        assert write_checkpoint(s, KEY, SIGNED_AT) is None
        assert checkpoints(s) == []


@pytest.mark.parametrize("table", ["audit_log", "audit_checkpoint"])
@pytest.mark.parametrize("statement", ["UPDATE {t} SET id = id", "DELETE FROM {t}", "TRUNCATE {t}"])
# The append-only triggers are PostgreSQL's; SQLite relies on `audit verify`.
@pytest.mark.postgres
@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_postgresql_refuses_to_change_the_audit_tables(audited, table, statement):
    op = statement.split()[0]
    with Session(audited) as s, pytest.raises(Exception, match=f"{table} is append-only: {op} refused"):
        s.execute(text(statement.format(t=table)))


# --------------------------------------------------------------------------- publication


def test_the_task_publishes_the_checkpoint_as_an_asset_event(audited, monkeypatch, tmp_path):
    import safegov.airflow.tasks as at
    from safegov.core.settings import load_settings

    settings = load_settings({"SAFEGOV_DATA_DIR": str(tmp_path), "SAFEGOV_AUDIT_KEY": "k" * 32})
    monkeypatch.setattr("safegov.core.settings.get_settings", lambda: settings)
    monkeypatch.setattr(at, "engine", lambda: audited)
    event = SimpleNamespace(extra=None)
    extra = at.checkpoint_audit_task(
        dag_run=SimpleNamespace(run_id="scheduled__2024-04-20", run_type="scheduled"),
        outlet_events={at.AUDIT_CHECKPOINTS: event},
    )
    with Session(audited) as s:
        cp = latest(s)
    assert event.extra == extra == cp.as_extra()
    assert cp.key_id == KEY.key_id  # SAFEGOV_AUDIT_KEY is the key


def test_the_key_file_is_made_once_and_private(monkeypatch, tmp_path):
    from safegov.core.settings import get_settings
    from safegov.db.checkpoint import load_key

    path = tmp_path / "keys" / "audit.key"
    monkeypatch.delenv("SAFEGOV_AUDIT_KEY", raising=False)
    monkeypatch.setenv("SAFEGOV_AUDIT_KEY_FILE", str(path))
    get_settings.cache_clear()
    try:
        with pytest.raises(AuditKeyError, match="no audit key"):
            load_key()  # verifying never invents a key
        made = load_key(create=True)
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert load_key(create=True) == made == load_key()
        assert "k" * 8 not in repr(made) and path.read_text().strip() not in repr(made)
    finally:
        get_settings.cache_clear()


def test_the_bulletin_prints_the_anchor_that_verifies_the_database(audited, tmp_path):
    from safegov.reports.bulletin import draft_bulletins

    draft_bulletins(audited, "2024-03", out_dir=tmp_path, unit_codes={"150000"})
    with Session(audited) as s:
        cp = latest(s)
    md = (tmp_path / "150000.md").read_text(encoding="utf-8")
    html = (tmp_path / "150000.html").read_text(encoding="utf-8")
    assert f"审计链共 {cp.length} 条记录，末条哈希 {cp.head_hash}" in md
    assert "2024年04月20日 12:00（北京时间）" in md
    assert f"safegov audit verify --anchor {cp.length}:{cp.head_hash}" in md and cp.head_hash in html
    csv_rows = (tmp_path / "150000.csv").read_text(encoding="utf-8").splitlines()
    assert f"150000,2024-03,audit_checkpoint,head_hash,{cp.head_hash}" in csv_rows


# --------------------------------------------------------------------------- command line


def test_the_cli_signs_then_verifies_and_names_a_cut_tail(cli_db, capsys, tmp_path):
    from safegov.cli.main import main

    with Session(cli_db) as s, s.begin():
        for i in range(3):
            audit.append(s, "email", f"k{i}", "queued", {"i": i}, SIGNED_AT)
    assert main(["audit", "checkpoint"]) == 0
    out = capsys.readouterr().out
    assert "审计链共 3 条记录" in out
    assert stat.S_IMODE(os.stat(tmp_path / "data" / "audit.key").st_mode) == 0o600  # made on first use
    assert main(["audit", "verify"]) == 0
    assert "audit chain ok: 3 links" in capsys.readouterr().out
    _tamper(cli_db, delete(AuditLog).where(AuditLog.id == 3))
    assert main(["audit", "verify"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "the chain has 2 links but checkpoint #1" in err[0]


@pytest.mark.parametrize("anchor", ["3", "3:abc", "x:" + "0" * 64, "3:" + "G" * 64])
def test_a_malformed_published_anchor_is_one_line(cli_db, capsys, anchor):
    from safegov.cli.main import main

    assert main(["audit", "verify", "--anchor", anchor]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "expected LENGTH:HASH" in err[0]
