"""Long lists page instead of stopping at a fixed number of rows (issue #19): the dashboard's
cases, blacklist and outbox pages show "第 N / M 页" with links that keep the filter, and their
JSON API gives ``items`` with ``total``, ``page``, ``per_page`` and ``pages``, the pages together
holding every row exactly once."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy.orm import Session

from plainwords import problems

from .seed import AT, ENT_A, ENT_B, long_blacklist
from .test_plain_pages import CODES, _many_cases


def _many_mails(engine, n: int, state: str) -> None:
    """``n`` more undelivered mails about 新城区, one second apart."""
    from safegov.db.models import OutboxMessage

    with Session(engine) as s:
        for i in range(n):
            s.add(
                OutboxMessage(
                    key=f"bulk-{state}-{i}",
                    purpose="escalation",
                    subject_id="150102",
                    period="2024-02",
                    recipient="150102",
                    step="notice",
                    to_email=f"office{i}@xc.example.cn",
                    mail_subject="通知",
                    body_text="…",
                    state=state,
                    created_at=AT + dt.timedelta(seconds=i),
                    attempts=5 if state == "dead" else 0,
                )
            )
        s.commit()


def _walk(as_user, path: str, key: str, **params) -> tuple[list, list[dict]]:
    """Every item of an API list, page by page until an empty one; and the pages' envelopes."""
    items, envelopes, page = [], [], 1
    while True:
        body = as_user("region_office", path, params={**params, "page": page}).json()
        envelopes.append(body)
        if not body["items"]:
            return items, envelopes
        items += [it[key] for it in body["items"]]
        page += 1


@pytest.mark.parametrize(
    "path, per_page, fill, total",
    [
        ("/api/cases", 40, lambda e: _many_cases(e, 97, opened_on=dt.date(2024, 4, 9)), 100),
        ("/api/blacklist", 25, lambda e: long_blacklist(e, 59), 61),
        ("/api/outbox", 7, lambda e: (_many_mails(e, 20, "dead"), _many_mails(e, 12, "pending")), 35),
    ],
)
def test_api_pages_hold_every_row_exactly_once(seeded, as_user, path, per_page, fill, total):
    fill(seeded)
    ids, envelopes = _walk(as_user, path, "id", per_page=per_page)
    assert len(ids) == total and len(set(ids)) == total  # none twice, none left out
    pages = -(-total // per_page)
    assert len(envelopes) == pages + 1  # the page after the last is empty, not the last again
    assert {(e["total"], e["pages"], e["per_page"]) for e in envelopes} == {(total, pages, per_page)}
    assert [e["page"] for e in envelopes] == list(range(1, pages + 2))
    assert [len(e["items"]) for e in envelopes[:-1]] == [per_page] * (pages - 1) + [total - per_page * (pages - 1)]


def test_the_api_pages_keep_the_filter(seeded, as_user):
    long_blacklist(seeded, 30)
    _many_mails(seeded, 15, "dead")
    found, _ = _walk(as_user, "/api/blacklist", "enterprise_id", q="新城测试企业1", per_page=4)
    # 新城测试企业1, 10..19 有限公司: the search across pages, and nothing else
    assert len(found) == 11 and all(code.startswith("91150102MB") for code in found)
    dead, envelopes = _walk(as_user, "/api/outbox", "state", state="dead", per_page=6)
    assert dead == ["dead"] * 16 and envelopes[0]["total"] == 16


@pytest.mark.parametrize(
    "path, status",
    [
        ("/api/cases?per_page=0", 422),
        ("/api/cases?per_page=1001", 422),  # no page of everything: a client walks the pages
        ("/api/blacklist?page=0", 422),
        ("/api/outbox?state=sent", 400),  # delivered mail is not the outbox's
        ("/outbox?state=nonsense", 400),
    ],
)
def test_bad_page_params_are_refused(as_user, path, status):
    assert as_user("region_office", path).status_code == status


def _rows(html: str, attr: str) -> list[str]:
    return re.findall(rf'<tr {attr}="([^"]+)"', html)


def test_blacklist_page_two_shows_the_next_rows_and_keeps_the_search(seeded, as_user):
    codes = long_blacklist(seeded, 250)  # + ENT_A, ENT_B = 252 rows: ENT_A (…0102MA…), codes, ENT_B (…0202…)
    first = as_user("region_office", "/blacklist").text
    assert "严重失信主体名单 (252)" in first and "第 1 / 2 页（第 1–200 条，共 252 条）" in first
    assert re.findall(r'data-enterprise="([^"]+)"', first) == [ENT_A, *codes[:199]]
    second = as_user("region_office", "/blacklist?page=2").text
    assert "第 2 / 2 页（第 201–252 条，共 252 条）" in second
    assert re.findall(r'data-enterprise="([^"]+)"', second) == [*codes[199:], ENT_B]
    assert "新城测试企业199有限公司" in second and "东河化工有限公司" in second and 'rel="next"' not in second
    # A search of more than a page: the pager's links keep the search and the language.
    as_user_pages = as_user("region_office", "/blacklist", params={"q": "新城测试企业", "lang": "en"}).text
    assert "Blacklist (250)" in as_user_pages and "Page 1 of 2 (rows 1–200 of 250)" in as_user_pages
    href = re.search(r'<a rel="next" href="([^"]+)"', as_user_pages).group(1)
    assert parse_qs(urlsplit(href.replace("&amp;", "&")).query) == {
        "q": ["新城测试企业"],
        "lang": ["en"],
        "page": ["2"],
    }
    # The download beside the table has the same search.
    assert 'href="/exports/blacklist?format=xlsx&amp;q=' in as_user_pages
    # A page past the end (the list shrank since) shows the last page.
    assert "第 2 / 2 页" in as_user("region_office", "/blacklist?page=9").text


def test_outbox_page_two_keeps_the_state(seeded, as_user):
    _many_mails(seeded, 230, "dead")  # + the seed's one dead mail = 231
    first = as_user("region_office", "/outbox?state=dead").text
    assert "邮件发件箱 (231)" in first and "第 1 / 2 页（第 1–200 条，共 231 条）" in first
    href = re.search(r'<a rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    assert parse_qs(urlsplit(href).query) == {"state": ["dead"], "page": ["2"]}
    second = as_user("region_office", href).text
    ids = _rows(second, "data-id")
    assert len(ids) == 31 and not set(ids) & set(_rows(first, "data-id"))
    assert set(re.findall(r'data-state="(\w+)"', second)) == {"dead"}
    # Newest first: page 2 ends with the oldest bulk mail and the seed's dead mail (#3).
    assert ids[-1] == "3"


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("path", ["/blacklist?page=2", "/outbox?page=2&state=dead", "/cases?page=2"])
def test_second_pages_read_plainly(seeded, as_user, path, lang):
    long_blacklist(seeded, 210)
    _many_mails(seeded, 210, "dead")
    _many_cases(seeded, 210, opened_on=dt.date(2024, 4, 9))
    r = as_user("region_office", f"{path}&lang=en" if lang == "en" else path)
    assert r.status_code == 200 and 'aria-current="page"' in r.text
    assert problems(r.text, lang, codes=CODES, html=True) == []


def test_the_outbox_download_has_every_page_with_the_state(seeded, as_user):
    """The outbox table's download: every row of the filter (not one page), scoped, masked;
    the Excel file with the states, purposes and steps in words."""
    import csv
    import io

    from openpyxl import load_workbook

    _many_mails(seeded, 230, "dead")  # 231 dead mails, 230 of them about 新城区
    page = as_user("region_office", "/outbox?state=dead").text
    href = re.search(r'id="dl-outbox-csv" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert parse_qs(urlsplit(href).query) == {"format": ["csv"], "state": ["dead"]}
    resp = as_user("region_office", href)
    rows = list(csv.DictReader(io.StringIO(resp.content.decode("utf-8-sig"))))
    assert len(rows) == 231 and {r["state"] for r in rows} == {"dead"}
    assert "office7@" not in resp.text and "o***@xc.example.cn" in {r["to_email"] for r in rows}
    # Xincheng's office: its own mails only (the seed's dead mail is 东河区's); all states.
    mine = as_user("xincheng_office", "/exports/outbox", params={"format": "csv"}).content.decode("utf-8-sig")
    assert {r["subject_id"] for r in csv.DictReader(io.StringIO(mine))} == {"150102"}
    assert len(list(csv.DictReader(io.StringIO(mine)))) == 231  # 230 dead + the pending k1
    xlsx = as_user("region_office", "/exports/outbox", params={"format": "xlsx", "state": "dead"})
    assert "filename*=UTF-8''%E9%82%AE%E4%BB%B6%E5%8F%91%E4%BB%B6%E7%AE%B1_" in xlsx.headers["content-disposition"]
    ws = load_workbook(io.BytesIO(xlsx.content)).active
    ids = [c.value for c in ws[2]]
    first = dict(zip(ids, [c.value for c in ws[3]], strict=True))
    assert ws.max_row == 2 + 231
    assert first["state_zh"] == "多次重试后放弃" and first["state"] == "dead"
    assert first["subject_name"] == "新城区" and first["step_zh"] == "通报"
    assert [c.value for c in ws[1]][ids.index("created_at_zh")] == "生成时间"


def _many_rejected_rows(engine, n: int) -> None:
    """``n`` more quarantined meeting rows of 东河区 in March 2024 (the cell of its miss)."""
    from safegov.db.models import RawRow, Rejection, SubmissionFile

    with Session(engine) as s:
        f = SubmissionFile(
            file_name="meeting_2024-03_2.csv",
            sha256="1" * 64,
            record_type="meeting",
            received_at=AT,
            ingested_at=AT,
            status="processed",
            rows_total=n,
            rows_accepted=0,
            rows_quarantined=n,
        )
        s.add(f)
        s.flush()
        for i in range(n):
            rr = RawRow(
                file_id=f.id,
                row_number=i + 2,
                record_type="meeting",
                received_at=AT,
                status="quarantined",
                values={"record_id": f"M-150202-B{i}", "unit_code": "150202", "held_on": "2024-03-12"},
                unit_code="150202",
                record_date=dt.date(2024, 3, 12),
            )
            s.add(rr)
            s.flush()
            s.add(Rejection(raw_row_id=rr.id, column="minutes_ref", rule="required", value="", message="required"))
        s.commit()


CELL = "obligation=SC-MEET-LOCAL&unit=150202&period=2024-03"


def test_a_cells_rejected_rows_page(seeded, as_user):
    """A cell once listed its first 200 rejected rows and no word of the rest."""
    _many_rejected_rows(seeded, 250)  # + the seed's M-150202-BAD = 251
    seen, envelopes, page = [], [], 1
    while True:
        d = as_user("region_office", f"/api/cell?{CELL}&rejected_page={page}&per_page=100").json()
        envelopes.append(d["rejected"])
        if not d["rejected_rows"]:
            break
        seen += [r["raw_row_id"] for r in d["rejected_rows"]]
        page += 1
    assert len(seen) == len(set(seen)) == 251 and len(envelopes) == 4
    assert envelopes[0] == {"total": 251, "page": 1, "per_page": 100, "pages": 3}
    first = as_user("region_office", f"/?{CELL}").text
    assert "被退回的报送行 (251)" in first
    assert "第 1 / 2 页（第 1–200 条，共 251 条）" in first
    href = re.search(r'<a rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    assert href.endswith("#detail")
    assert parse_qs(urlsplit(href).query) == {
        "obligation": ["SC-MEET-LOCAL"],
        "unit": ["150202"],
        "period": ["2024-03"],
        "rejected_page": ["2"],
    }
    second = as_user("region_office", href.split("#")[0]).text
    assert "第 2 / 2 页（第 201–251 条，共 251 条）" in second
    assert '"M-150202-B199"' in second and '"M-150202-B249"' in second and '"M-150202-B198"' not in second
    assert problems(second, "zh", codes=CODES, html=True) == []
