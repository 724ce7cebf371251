"""The organisation registry: real GB/T 2260 units of Inner Mongolia, hierarchy, levels, posts."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from sqlalchemy import func, select

from safegov.db.models import Leader, Post, Unit
from safegov.org.directory import holder_at
from safegov.org.units import level_of, load_units, parent_of, sync_units


def test_counts_region_leagues_counties():
    levels = Counter(u.level for u in load_units())
    assert levels == {"region": 1, "league": 12, "county": 103}


def test_hierarchy_every_parent_exists_and_is_one_level_up():
    units = {u.code: u for u in load_units()}
    for u in units.values():
        if u.level == "region":
            assert u.parent_code is None
            continue
        parent = units[u.parent_code]
        assert (u.level, parent.level) in {("league", "region"), ("county", "league")}


@pytest.mark.parametrize(
    "code, name",
    [
        ("150000", "内蒙古自治区"),
        ("150100", "呼和浩特市"),
        ("150102", "新城区"),
        ("152900", "阿拉善盟"),
        ("152502", "锡林浩特市"),
    ],
)
def test_real_names(code, name):
    assert {u.code: u.name for u in load_units()}[code] == name


def test_no_placeholder_rows():
    assert not [u for u in load_units() if u.name == "市辖区"]


@pytest.mark.parametrize(
    "code, level, parent",
    [
        ("150000", "region", None),
        ("150100", "league", "150000"),
        ("152200", "league", "150000"),
        ("150102", "county", "150100"),
        ("152502", "county", "152500"),
    ],
)
def test_level_and_parent_from_code(code, level, parent):
    assert level_of(code) == level
    assert parent_of(code) == parent


@pytest.mark.parametrize("bad", ["15010", "1501022", "abcdef", ""])
def test_level_of_rejects_non_codes(bad):
    with pytest.raises(ValueError, match="six-digit"):
        level_of(bad)


def test_bad_units_file_names_line_and_field(tmp_path):
    (tmp_path / "units.csv").write_text(
        "code,name,parent_code\n150000,内蒙古自治区,\n150100,呼和浩特市,150200\n", encoding="utf-8"
    )
    with pytest.raises(ValueError, match=r"units.csv: line 3: field parent_code"):
        load_units(tmp_path)


def test_sync_units_is_idempotent(session):
    sync_units(session)
    sync_units(session)
    session.commit()
    assert session.scalar(select(func.count()).select_from(Unit)) == 116
    assert session.scalar(select(func.count()).select_from(Post)) == 116 * 3
    assert session.get(Unit, "150102").parent_code == "150100"


def test_holder_at_due_date_and_vacancy(session):
    sync_units(session)
    session.add_all(
        [
            Leader(
                leader_id="L1",
                name="甲",
                unit_code="150102",
                role="party_secretary",
                term_start=dt.date(2020, 1, 1),
                term_end=dt.date(2024, 3, 10),
            ),
            Leader(
                leader_id="L2",
                name="乙",
                unit_code="150102",
                role="party_secretary",
                term_start=dt.date(2024, 3, 20),
                term_end=None,
            ),
        ]
    )
    session.flush()
    assert holder_at(session, "150102", "party_secretary", dt.date(2024, 3, 10)) == "L1"
    assert holder_at(session, "150102", "party_secretary", dt.date(2024, 3, 15)) == "L1"  # vacancy: last holder
    assert holder_at(session, "150102", "party_secretary", dt.date(2024, 3, 31)) == "L2"
    assert holder_at(session, "150102", "government_head", dt.date(2024, 3, 31)) is None
