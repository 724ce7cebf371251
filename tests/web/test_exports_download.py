"""Issue #19 item 1: the exports downloaded from the dashboard tables (``/exports/{kind}``),
CSV and Excel, with the page's filter and the user's unit scope."""

from __future__ import annotations

import csv
import io
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook

from safegov.reports.xlsx import XLSX_MEDIA_TYPE

from .seed import ENT_A, ENT_B

YEAR = {"from": "2024-01", "to": "2024-12"}

# kind: (query, column that places a row in a unit, a value of xincheng's (150102) or None if
# the seed has none, a value of the other league's (150202))
KINDS = {
    "evaluations": ({**YEAR, "obligation": "SC-MEET-LOCAL"}, "subject_id", "150102", "150202"),
    "cases": ({}, "subject_id", "150102", "150202"),
    "blacklist": ({}, "enterprise_id", ENT_A, ENT_B),
    "quarantine": (YEAR, "unit_code", None, "150202"),  # the one rejected row is 150202's
}


def _csv(resp) -> list[dict[str, str]]:
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"] == "text/csv; charset=utf-8"
    return list(csv.DictReader(io.StringIO(resp.content.decode("utf-8-sig"))))


def _xlsx(resp) -> list[dict[str, object]]:
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"] == XLSX_MEDIA_TYPE
    ws = load_workbook(io.BytesIO(resp.content)).active
    assert ws.freeze_panes == "A3"
    ids = [c.value for c in ws[2]]
    return [dict(zip(ids, [c.value for c in r], strict=True)) for r in ws.iter_rows(min_row=3)]


def _same(xlsx_rows, csv_rows) -> None:
    assert len(xlsx_rows) == len(csv_rows)
    for x, c in zip(xlsx_rows, csv_rows, strict=True):
        assert {k: "" if x[k] is None else str(x[k]) for k in c} == {k: v.removeprefix("'") for k, v in c.items()}


@pytest.mark.parametrize("user", ["region_office", "xincheng_office"])
@pytest.mark.parametrize("kind", KINDS)
def test_xlsx_download_is_the_csv_download(as_user, kind, user):
    params, col, mine, theirs = KINDS[kind]
    csv_rows = _csv(as_user(user, f"/exports/{kind}", params={**params, "format": "csv"}))
    xlsx_rows = _xlsx(as_user(user, f"/exports/{kind}", params={**params, "format": "xlsx"}))
    _same(xlsx_rows, csv_rows)
    values = {str(r[col]) for r in xlsx_rows}
    if mine:
        assert any(mine in v for v in values), values
    # The region sees the other league's rows; xincheng's office never does.
    assert any(theirs in v for v in values) == (user == "region_office"), values


def test_the_download_applies_the_page_filter(as_user):
    march = _csv(as_user("region_office", "/exports/evaluations", params={"from": "2024-03", "to": "2024-03"}))
    year = _csv(as_user("region_office", "/exports/evaluations", params=YEAR))
    # March and the quarter, half and year around it; the year's export also has January.
    assert march and {r["period"] for r in march} <= {"2024-03", "2024-Q1", "2024-H1", "2024"}
    assert "2024-01" in {r["period"] for r in year}

    # The blacklist page's search (an enterprise name), as the page filters its table.
    found = _csv(as_user("region_office", "/exports/blacklist", params={"q": "东河"}))
    assert [r["enterprise_id"] for r in found] == [ENT_B]
    page = as_user("region_office", "/api/blacklist", params={"q": "东河"}).json()
    assert [r["enterprise_id"] for r in page["items"]] == [ENT_B] and page["total"] == 1


def test_file_name_is_chinese_and_the_type_is_excel(as_user):
    resp = as_user("xincheng_office", "/exports/blacklist", params={"format": "xlsx"})
    assert resp.headers["content-type"] == XLSX_MEDIA_TYPE
    disposition = resp.headers["content-disposition"]
    assert disposition.startswith("attachment; filename*=UTF-8''")
    assert unquote(disposition.split("''", 1)[1]) == "严重失信主体名单.xlsx"


@pytest.mark.parametrize(
    "user,path,params,status",
    [
        ("nobody", "/exports/cases", {"format": "xlsx"}, 403),  # not mapped to a unit
        ("region_office", "/exports/cases", {"format": "xls"}, 400),
        ("region_office", "/exports/people", {"format": "xlsx"}, 404),
        ("region_office", "/exports/evaluations", {"format": "xlsx"}, 400),  # no period
        ("region_office", "/exports/quarantine", {"format": "xlsx", "from": "2024-13"}, 400),
    ],
)
def test_bad_downloads_are_refused(as_user, user, path, params, status):
    assert as_user(user, path, params=params).status_code == status


@pytest.mark.parametrize(
    "page,kind", [("/", "evaluations"), ("/cases", "cases"), ("/blacklist", "blacklist"), ("/quality", "quarantine")]
)
def test_every_table_links_its_downloads(as_user, page, kind):
    html = as_user("xincheng_office", page).text
    assert f'id="dl-{kind}-csv"' in html and f'id="dl-{kind}-xlsx"' in html
