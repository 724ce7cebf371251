"""The dated industry scope of ENT-SAFETY-COST (〔十〕 高危行业, params.high_risk_industries): a
broken one fails at load, naming the file, the obligation and what is wrong."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
import yaml
from test_register import REGISTER

from safegov.register.obligations import RegisterError, load_register

OB = "ENT-SAFETY-COST"


def _write(tmp_path, mutate):
    data = copy.deepcopy(yaml.safe_load(REGISTER.read_text(encoding="utf-8")))
    ob = next(o for o in data["obligations"] if o["id"] == OB)
    mutate(ob, data)
    path = tmp_path / "obligations.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _scopes(ob):
    return ob["params"]["high_risk_industries"]


def _overlap(ob, _data):
    _scopes(ob)[0]["valid_to"] = dt.date(2022, 12, 31)


def _open_ended_first(ob, _data):
    del _scopes(ob)[0]["valid_to"]


def _backwards(ob, _data):
    _scopes(ob)[1]["valid_to"] = dt.date(2020, 1, 1)


def _no_industries(ob, _data):
    _scopes(ob)[1]["industries"] = {}


def _no_source(ob, _data):
    del _scopes(ob)[0]["source"]


def _not_a_list(ob, _data):
    ob["params"]["high_risk_industries"] = "coal_mining"


def _on_a_unit_obligation(_ob, data):
    budget = next(o for o in data["obligations"] if o["id"] == "SAFETY-FUND-BUDGET")
    budget["params"]["high_risk_industries"] = _scopes(_ob)


@pytest.mark.parametrize(
    "mutate, expected",
    [
        (_overlap, rf"obligation {OB}: .*the version from 2022-11-21 overlaps the one from 2012-02-14"),
        (_open_ended_first, rf"obligation {OB}: .*overlaps the one from 2012-02-14"),
        (_backwards, rf"obligation {OB}: .*valid_to 2020-01-01 is before valid_from 2022-11-21"),
        (_no_industries, rf"obligation {OB}: .*high_risk_industries\[1\]\.industries: .*at least 1 item"),
        (_no_source, rf"obligation {OB}: .*high_risk_industries\[0\]\.source: Field required"),
        (_not_a_list, rf"obligation {OB}: .*params.high_risk_industries: .*tuple"),
        (_on_a_unit_obligation, r"obligation SAFETY-FUND-BUDGET: .*scopes enterprise subjects only"),
    ],
    ids=["overlap", "open-ended first", "backwards", "no industries", "no source", "not a list", "unit obligation"],
)
def test_a_broken_industry_scope_fails_at_load(tmp_path, mutate, expected):
    path = _write(tmp_path, mutate)
    with pytest.raises(RegisterError, match=expected) as exc:
        load_register(path)
    assert str(path) in str(exc.value)


def test_the_shipped_scope_is_dated_and_sourced():
    ob = load_register(REGISTER).get(OB)
    assert [(s.valid_from, s.valid_to) for s in ob.industry_scopes] == [
        (dt.date(2012, 2, 14), dt.date(2022, 11, 20)),
        (dt.date(2022, 11, 21), None),
    ]
    assert "财企〔2012〕16号" in ob.industry_scopes[0].source and "财资〔2022〕136号" in ob.industry_scopes[1].source
    assert ob.policy  # the cadence and grace are policy; the industries are the law's
    assert ob.industries_on(dt.date(2022, 11, 20)) < ob.industries_on(dt.date(2022, 11, 21)) | {"weapons"}
