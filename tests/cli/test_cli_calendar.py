"""`safegov calendar status` and `safegov evaluate` beyond the years the calendar covers."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.conftest import HOLIDAYS_2027


@pytest.fixture
def cli_env(units_db, monkeypatch, holidays_file):
    """The CLI on a fresh SQLite DB with the units loaded, at 2027-01-20 (Asia/Shanghai)."""
    monkeypatch.setenv("SAFEGOV_NOW", "2027-01-20T09:00:00+08:00")
    return units_db


def _evaluations(engine) -> int:
    from safegov.db.models import Evaluation

    with Session(engine) as s:
        return s.scalar(select(func.count()).select_from(Evaluation))


@pytest.mark.parametrize(
    "holidays, lines",
    [
        (
            None,  # as shipped: years: {}
            ["  2004–2026年：chinesecalendar 1.11.0 软件包", "首个未覆盖年份：2027年"],
        ),
        (
            HOLIDAYS_2027,
            [
                "  2004–2026年：chinesecalendar 1.11.0 软件包",
                "  2027年：holidays.yaml（国办发明电〔2026〕99号（测试））",
                "首个未覆盖年份：2028年",
            ],
        ),
    ],
)
def test_calendar_status_names_sources_and_the_first_uncovered_year(holidays_file, capsys, holidays, lines):
    from safegov.cli import main as cli

    if holidays:
        holidays_file(holidays)
    assert cli.main(["calendar", "status"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1:-1] == lines
    year = lines[-1].removeprefix("首个未覆盖年份：").removesuffix("年")
    path = os.environ["SAFEGOV_HOLIDAYS"]
    assert out[-1].endswith(f"请依据《国务院办公厅关于{year}年部分节假日安排的通知》在 {path} 中录入{year}年")


def test_calendar_status_refuses_a_broken_file(holidays_file, capsys):
    from safegov.cli import main as cli

    holidays_file("years:\n  2027:\n    notice: N\n    workdays: [2027-01-04]\n")
    assert cli.main(["calendar", "status"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("safegov calendar: ") and "years.2027.workdays[0]" in err


@pytest.mark.parametrize(
    "from_key, to_key",
    [("2026-12", "2026-12"), ("2026-11", "2027-01"), ("2027", "2027"), ("2026-Q4", "2026-Q4")],
)
def test_evaluate_beyond_the_calendar_refuses_in_one_line_naming_the_year(cli_env, capsys, from_key, to_key):
    from safegov.cli import main as cli

    assert cli.main(["evaluate", "--from", from_key, "--to", to_key]) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert "\n" not in err
    assert err.startswith("safegov evaluate: 2027年法定节假日安排未录入")
    assert captured.out == ""
    assert _evaluations(cli_env) == 0  # nothing written


def test_with_2027_entered_december_2026_is_decided_on_20_january(cli_env, holidays_file, capsys):
    from safegov.cli import main as cli

    holidays_file(HOLIDAYS_2027)
    # Grace of 5 working days after 31 December 2026: 4–8 January (1 January off).
    assert cli.main(["evaluate", "--from", "2026-12", "--to", "2026-12", "--obligation", "SC-MEET-LOCAL"]) == 0
    total = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("total")).split()
    met, met_late, missed, pending, exempt, changed = map(int, total[1:])
    assert pending == 0
    assert missed == 115  # 12 leagues + 103 counties, no records
