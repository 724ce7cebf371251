"""Pure pieces: credit codes, aliases config, typing, CSV neutralisation (no database)."""

from __future__ import annotations

import io

import pytest

from safegov.core.creditcode import ALPHABET, CreditCodeError, check_character, is_valid_credit_code, make_credit_code


@pytest.mark.parametrize(
    "code, valid",
    [
        ("91350100M000100Y43", True),  # the example of GB 32100-2015
        ("911100007109288314", True),
        ("91350100M000100Y44", False),  # wrong check character
        ("91350100M000100Y4", False),  # 17 characters
        ("91350100M000100Y433", False),  # 19 characters
        ("91350100M0001O0Y43", False),  # O is not in the alphabet
        ("91350100m000100y43", False),  # lower case
        (None, False),
        (913501, False),
    ],
)
def test_credit_code_check(code, valid):
    assert is_valid_credit_code(code) is valid


def test_make_credit_code_round_trip():
    for i in range(200):
        seed = "".join(ALPHABET[(i * 7 + k * 13) % 31] for k in range(17))
        code = make_credit_code(seed)
        assert len(code) == 18 and code.startswith(seed) and is_valid_credit_code(code)
        # changing any one character breaks the check
        broken = code[:5] + ALPHABET[(ALPHABET.index(code[5]) + 1) % 31] + code[6:]
        assert not is_valid_credit_code(broken)


def test_check_character_rejects_bad_input():
    with pytest.raises(CreditCodeError, match="17 characters"):
        check_character("123")
    with pytest.raises(CreditCodeError, match="character 3 'I'"):
        check_character("91I50100M000100Y4")


# --------------------------------------------------------------------------- aliases


def test_shipped_aliases_cover_every_column():
    import yaml

    from safegov.core.settings import PROJECT_ROOT
    from safegov.intake.readers import load_aliases
    from safegov.register.records import RECORD_TYPES

    data = yaml.safe_load((PROJECT_ROOT / "config" / "aliases.yaml").read_text(encoding="utf-8"))
    for rt in RECORD_TYPES.values():
        for c in rt.columns:
            assert data["columns"].get(c.name), f"no Chinese alias for {rt.name}.{c.name}"
    aliases = load_aliases(PROJECT_ROOT / "config")
    assert aliases.column_for("单位代码") == "unit_code"
    assert aliases.column_for(" 统一社会信用代码 ") == "enterprise_id"
    assert aliases.column_for("Unit_Code") == "unit_code"
    assert aliases.column_for("备注") is None
    assert aliases.record_type_for("会议") == "meeting"
    assert aliases.record_type_for("hazard_inspection") == "hazard_inspection"


@pytest.mark.parametrize(
    "text, message",
    [
        (
            "columns:\n  unit_code: [代码]\n  county_code: [代码]\n",
            "columns.county_code: alias '代码' is already claimed by unit_code",
        ),
        ("columns:\n  unit_code: [held_on]\n", "columns.unit_code: alias 'held_on' is already claimed by held_on"),
        (
            "columns:\n  no_such_column: [x]\n",
            "columns: Value error, columns.no_such_column: not a column of any record type",
        ),
        (
            "columns: {}\nrecord_types:\n  会议: party\n",
            "record_types: Value error, record_types.会议: 'party' is not a record type",
        ),
        ("columns: [\n", "not valid YAML"),
    ],
)
def test_bad_aliases_config_names_file_key_and_reason(tmp_path, text, message):
    from safegov.intake.readers import AliasConfigError, load_aliases

    (tmp_path / "aliases.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(AliasConfigError) as exc:
        load_aliases(tmp_path)
    assert str(exc.value).startswith(str(tmp_path / "aliases.yaml"))
    assert message in str(exc.value)


# --------------------------------------------------------------------------- typing


@pytest.mark.parametrize(
    "type_, text, expected",
    [
        ("int", "12", 12.0),
        ("int", "12.0", 12.0),
        ("int", "1.5", None),
        ("int", "x", None),
        ("float", "1,234.5", 1234.5),
        ("float", "inf", None),
        ("bool", "是", True),
        ("bool", "FALSE", False),
        ("bool", "maybe", None),
        ("date", "2024-02-29", "2024-02-29"),
        ("date", "2023-02-29", None),
        ("date", "2024/02/01", None),
    ],
)
def test_coerce_series(type_, text, expected):
    import pandas as pd

    from safegov.intake.validation import coerce_series

    got = coerce_series(pd.Series([text], dtype="object"), type_).iloc[0]
    if expected is None:
        assert pd.isna(got)
    elif type_ == "date":
        assert got == pd.Timestamp(expected)
    else:
        assert got == expected


@pytest.mark.parametrize(
    "text, utc",
    [
        ("2024-03-31 23:30", "2024-03-31 15:30"),  # Asia/Shanghai unless an offset is given
        ("2024-03-31 23:30:15", "2024-03-31 15:30:15"),
        ("2024-03-31T23:30:00+08:00", "2024-03-31 15:30"),
        ("2024-03-31T15:30:00Z", "2024-03-31 15:30"),
        ("2024-03-31", None),
        ("31/03/2024 23:30", None),
    ],
)
def test_parse_datetimes(text, utc):
    import pandas as pd

    from safegov.intake.validation import parse_datetimes

    got = parse_datetimes(pd.Series([text], dtype="object")).iloc[0]
    assert pd.isna(got) if utc is None else got == pd.Timestamp(utc, tz="UTC")


# --------------------------------------------------------------------------- exports


@pytest.mark.parametrize(
    "cell, written",
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("plain", "plain"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_write_rows_neutralises_formula_cells(cell, written):
    import csv

    from safegov.reports.exports import write_rows

    buf = io.StringIO()
    assert write_rows([{"a": cell, "b": 1}], ["a", "b"], "csv", buf) == 1
    rows = list(csv.reader(io.StringIO(buf.getvalue(), newline="")))
    assert rows == [["a", "b"], [written, "1"]]


def test_write_rows_json_keeps_values():
    import json

    from safegov.reports.exports import write_rows

    buf = io.StringIO()
    write_rows([{"a": "=1+1", "b": None, "c": 3}], ["a", "b"], "json", buf)
    assert json.loads(buf.getvalue()) == [{"a": "=1+1", "b": None}]
    buf = io.StringIO()
    write_rows([], ["a"], "json", buf)
    assert json.loads(buf.getvalue()) == []
