"""Bulk review of history (#15 item 5): an office approves or rejects a month's unreviewed
backfilled cases, all or chosen ones, in the Airflow form (safegov_history_review) and the
CLI; the decider is recorded."""

from __future__ import annotations

import datetime as dt

import pytest
from escalate_helpers import COUNTY, COUNTY2, LEAGUE, backfilled_quarter_of_misses, cases, outbox, sh

from safegov.accountability.cases import decide_historical, unreviewed_cases
from safegov.core.errors import SafegovError
from safegov.db.engine import session_scope

AT = sh(2025, 1, 10, 9)


@pytest.fixture
def history(world, register, engine):
    """Each county's party secretary has an unreviewed admonishment for 2024-03 and interview
    for 2024-02 from a backfill (both decided by the league/city)."""
    march = backfilled_quarter_of_misses(world, engine, register)
    february = [c.id for c in cases(engine, step="interview")]
    assert len(march) == 2 and len(february) == 2
    assert {c.deciding_unit for c in cases(engine, state="unreviewed")} == {LEAGUE}
    return march, february


def _states(engine, ids):
    return [c.state for c in cases(engine) if c.id in ids]


# (which ids are chosen: "all" | "first" | "february" | "first-twice", reviewing units, changed, error)
CHOICES = [
    ("all", None, 2, None),
    ("first", None, 1, None),
    ("first-twice", None, 0, None),  # the same decision again: a no-op, not an error
    ("february", None, 0, "not historical cases of 2024-03"),  # another month's case
    ("all", {"150000", LEAGUE, COUNTY, COUNTY2}, 2, None),
    ("all", {"150200"}, 0, None),  # another league's office has nothing of ours to review
    ("first", {"150200"}, 0, "decided by the reviewing office"),
]


@pytest.mark.parametrize("choice, units, changed, error", CHOICES)
def test_review_all_or_chosen_cases(history, engine, choice, units, changed, error):
    march, february = history
    ids = {"all": None, "first": march[:1], "first-twice": march[:1], "february": february[:1]}[choice]
    if choice == "first-twice":
        decide_historical(engine, "2024-03", approve=True, decided_by="呼和浩特市安委办", at=AT, case_ids=ids)
    kw = {"approve": True, "decided_by": "呼和浩特市安委办", "at": AT, "case_ids": ids, "units": units}
    if error:
        with pytest.raises(SafegovError, match=error):
            decide_historical(engine, "2024-03", **kw)
        assert _states(engine, march + february) == ["unreviewed"] * 4  # nothing changed
        return
    assert decide_historical(engine, "2024-03", **kw) == changed
    decided = [c for c in cases(engine, state="approved")]
    assert all(c.decided_by == "呼和浩特市安委办" and c.historical for c in decided)
    assert {c.id for c in cases(engine, step="interview", state="unreviewed")} == set(february)
    assert outbox(engine) == []  # history: nothing is sent


def test_the_review_form_lists_by_name_and_records_the_decider(history, engine, monkeypatch):
    from safegov.airflow import tasks

    march, _february = history
    monkeypatch.setattr(tasks, "engine", lambda: engine)
    listed = tasks.list_unreviewed_task(params={"period": "2024-03", "office": LEAGUE})
    assert (listed["period"], listed["office"], listed["case_ids"]) == ("2024-03", LEAGUE, march)
    body = listed["review_body"]
    for words in ("未复核的历史案件 2 件", "呼和浩特市", "新城区", "回民区", f"name-{COUNTY}-ps", "诫勉谈话"):
        assert words in body
    assert tasks.list_unreviewed_task(params={"period": "2024-03", "office": "150200"})["case_ids"] == []

    when = dt.datetime(2025, 1, 12, 3, tzinfo=dt.UTC)
    with pytest.raises(SafegovError, match="不在本表单所列的案件中"):
        tasks.review_history_task(listed, ["Approve"], {"case_ids": "999"}, {"name": "league_office"}, when, {})
    out = tasks.review_history_task(
        listed, ["Reject"], {"case_ids": f"{march[1]}", "reason": ""}, {"id": "u7", "name": "league_office"}, when, {}
    )
    assert out == {"rejected": [march[1]], "changed": 1, "decided_by": "league_office"}
    out = tasks.review_history_task(listed, ["Approve"], {"case_ids": ""}, {"id": "u7", "name": ""}, when, {})
    assert out["changed"] == 1  # all listed: the one rejected meanwhile is skipped
    got = {c.id: (c.state, c.decided_by, c.decision_reason) for c in cases(engine, step="admonishment")}
    assert got == {
        march[0]: ("approved", "u7", None),
        march[1]: ("rejected", "league_office", "league_office 在 Airflow 历史案件复核表单中驳回"),
    }
    with session_scope(engine) as s:
        assert unreviewed_cases(s, "2024-03") == []


def test_the_cli_reviews_chosen_history(history, engine, monkeypatch, capsys):
    from safegov.cli.main import main

    march, _february = history
    # The CLI's engine is this test's (its PostgreSQL schema rides on the engine, not the URL).
    monkeypatch.setattr("safegov.db.engine.get_engine", lambda: engine)
    argv = ["cases", "approve", str(march[0]), "--historical", "--period", "2024-03", "--by", "呼和浩特市安委办"]
    assert main(argv) == 0
    assert "批准 1 件" in capsys.readouterr().out
    assert [c.state for c in cases(engine, step="admonishment")] == ["approved", "unreviewed"]
