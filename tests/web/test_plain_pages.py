"""Every dashboard page in plain words, in both languages: no English word on a Chinese page,
no UTC time, no untranslated state, no empty value, no bare code where its name exists
(the seeded database of tests/web/seed.py)."""

from __future__ import annotations

import pytest

from plainwords import problems

from .seed import ENT_A, ENT_B

PAGES = [
    "/",
    "/?obligation=SC-MEET-LOCAL&unit=150102&period=2024-02",  # a missed cell: reason, cases
    "/?obligation=SC-MEET-LOCAL&unit=150202&period=2024-03",  # rejected rows, an interview
    "/?obligation=ACCIDENT-REPORT-TIMELY&unit=150202&period=2024-03",  # event subjects
    "/cases",
    "/blacklist",
    f"/blacklist?enterprise_id={ENT_A}&scope=bidding&on=2024-05-01",  # the check's answer
    "/quality",
    "/outbox",
    "/bulletins",
]
# Codes with a name in the seed: a page shows the name (the code may follow in <code> or brackets).
CODES = {"L-150102-PS": "张三", ENT_A: "新城煤业有限公司", ENT_B: "东河化工有限公司"}


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("path", PAGES)
def test_every_page_reads_plainly(as_user, path, lang):
    sep = "&" if "?" in path else "?"
    r = as_user("region_office", f"{path}{sep}lang={lang}" if lang == "en" else path)
    assert r.status_code == 200, r.text[:500]
    found = problems(r.text, lang, codes=CODES, html=True)
    assert found == [], "\n".join(found)


def _many_cases(engine, n: int, *, opened_on, period_start=None) -> None:
    import datetime as dt

    from sqlalchemy.orm import Session

    from safegov.db.models import Case

    with Session(engine) as s:
        for i in range(n):
            s.add(
                Case(
                    case_key=f"SC-MEET-LOCAL|150102|x{i}|notice",
                    kind="notice",
                    rule_id="SC-MEET-LOCAL",
                    subject_kind="unit",
                    subject_id="150102",
                    unit_code="150102",
                    period=f"2020-{i % 12 + 1:02d}",
                    period_start=period_start or dt.date(2020, i % 12 + 1, 1),
                    step="notice",
                    state="open",
                    opened_on=opened_on,
                )
            )
        s.commit()


def test_the_cases_page_pages_instead_of_stopping(seeded, as_user):
    """2,335 open cases once showed as 500 with no word of the rest: every case is on a page."""
    import datetime as dt
    import re

    _many_cases(seeded, 447, opened_on=dt.date(2024, 4, 9))  # + the seed's 3 open cases = 450
    first = as_user("region_office", "/cases").text
    assert "待办案件 (450)" in first and "第 1 / 3 页（第 1–200 条，共 450 条）" in first
    assert len(re.findall(r"<tr data-case=", first)) == 200 and 'rel="next"' in first
    last = as_user("region_office", "/cases?page=3").text
    assert "第 3 / 3 页（第 401–450 条，共 450 条）" in last and 'rel="next"' not in last
    assert len(re.findall(r"<tr data-case=", last)) == 50
    seen = set()
    for page in (1, 2, 3):
        seen |= set(re.findall(r'<tr data-case="(\d+)"', as_user("region_office", f"/cases?page={page}").text))
    assert len(seen) == 450  # no case on two pages, none left out
    en = as_user("region_office", "/cases?page=2&lang=en").text
    assert "Page 2 of 3 (rows 201–400 of 450)" in en
    # The pager reads plainly too (the walking test's pages have one page only).
    assert problems(as_user("region_office", "/cases?page=2").text, "zh", codes=CODES, html=True) == []
    assert problems(en, "en", codes=CODES, html=True) == []


def test_cases_are_charted_by_the_month_of_the_facts(seeded):
    """A backfill opens years of cases on one day; the chart counts each in its period's month."""
    import datetime as dt

    from sqlalchemy.orm import Session

    from safegov.web import queries
    from safegov.web.scope import Scope

    _many_cases(seeded, 24, opened_on=dt.date(2024, 4, 9))  # one day, 24 periods of 2020
    with Session(seeded) as s:
        keys, data = queries.cases_by_kind_month(s, Scope(username="t", kind="all"), months=60)
    assert "2020-01" in keys and data["2020-01"]["notice"] == 2 and data["2020-12"]["notice"] == 2
    assert sum(data.get("2024-04", {}).values()) < 24  # not one bar of every backfilled case
