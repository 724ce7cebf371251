"""Downloads of the exports (``safegov export``) from the dashboard tables, as CSV or Excel
(``/exports/{kind}?format=csv|xlsx&from=&to=``; evaluations also ``obligation=``, the
blacklist ``q=``, the page's search); and of the outbox page's table (``/exports/outbox``,
``state=`` as on the page).

The files are the command's files, written by the same functions, with the user's unit scope
added to the export's own SQL (``queries.unit_clause`` / ``enterprise_clause``, as the pages
scope their tables): a county office downloads its county's rows only, whatever it asks for.
"""

from __future__ import annotations

import io
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response
from sqlalchemy import func, select

from safegov.core.errors import SafegovError
from safegov.core.periods import PeriodKeyError
from safegov.core.words import fmt_datetime, purpose_words, step_words, word
from safegov.db.models import BlacklistEntry, Case, Enterprise, Evaluation, RawRow
from safegov.reports.exports import EXPORTS, render_rows, with_names
from safegov.reports.xlsx import Reading
from safegov.web import queries
from safegov.web.deps import CtxDep, SessionDep
from safegov.web.i18n import spreadsheet_words
from safegov.web.routers.outbox import states_of
from safegov.web.scope import Scope

router = APIRouter()

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"

# The page word that names each file (Chinese file names).
FILE_WORDS = {"evaluations": "evaluations", "cases": "cases", "blacklist": "blacklist", "quarantine": "rejected_rows"}


def scope_conditions(kind: str, scope: Scope) -> list[Any]:
    """The user's scope as conditions on the export's rows, as the pages put it: cases and
    evaluations by their unit, blacklist entries by their enterprise's county, quarantined
    rows by their unit hint, else their enterprise's county (``queries.quality``)."""
    if scope.kind == "all":
        return []  # no condition, rather than a sub-select of every submitted row
    if kind == "evaluations":
        return [queries.unit_clause(Evaluation.unit_code, scope)]
    if kind == "cases":
        return [queries.unit_clause(Case.unit_code, scope)]
    if kind == "blacklist":
        return [queries.enterprise_clause(BlacklistEntry.enterprise_id, scope)]
    unit = func.coalesce(RawRow.unit_code, Enterprise.county_code)
    in_scope = (
        select(RawRow.id)
        .join(Enterprise, Enterprise.enterprise_id == RawRow.enterprise_id, isouter=True)
        .where(queries.unit_clause(unit, scope))
    )
    return [RawRow.id.in_(in_scope)]


# The outbox page's table as a file: every page of it, addresses masked as on the page.
OUTBOX_COLUMNS = [
    "id",
    "state",
    "purpose",
    "step",
    "subject_id",
    "period",
    "recipient",
    "to_email",
    "cc",
    "mail_subject",
    "attempts",
    "reason",
    "last_status",
    "next_attempt_at",
    "created_at",
]


# Declared before ``/exports/{kind}``: the outbox is no ``safegov export`` kind, only a page's table.
@router.get("/exports/outbox")
def download_outbox(ctx: CtxDep, session: SessionDep, format: str = "csv", state: str | None = None):
    """The outbox page's rows (all of them, or those of ``state``) as CSV or Excel."""
    from safegov.notification.wording import Names

    if format not in ("csv", "xlsx"):
        raise HTTPException(400, f"format {format!r}: expected csv or xlsx")
    if ctx.scope.sees_nothing:
        raise HTTPException(403, "your account is not mapped to a unit")
    states = states_of(state)
    messages = [queries.outbox_json(m) for m in session.scalars(queries.outbox_select(ctx.scope, states))]
    rows = [{**m, "to_email": m["to"], "cc": "; ".join(m["cc"]), "mail_subject": m["subject"]} for m in messages]
    name = "_".join(p for p in (ctx.t("outbox"), state and word(state, ns="outbox")) if p)
    if format == "csv":
        return table_file(rows, OUTBOX_COLUMNS, format, name)
    names = Names.of(session, {r["subject_id"] for r in rows})
    for r in rows:
        r["subject_name"] = names.subject(None, r["subject_id"], {}, "zh")
    columns = [c for col in OUTBOX_COLUMNS for c in ((col, "subject_name") if col == "subject_id" else (col,))]
    days = Reading(fmt_datetime)
    worded = {
        "state": lambda v: word(v, ns="outbox"),
        "purpose": purpose_words,
        "step": step_words,
        "reason": word,
        "next_attempt_at": days,
        "created_at": days,
    }
    return table_file(rows, columns, format, name, translations=worded)


@router.get("/exports/{kind}")
def download(
    kind: str,
    ctx: CtxDep,
    session: SessionDep,
    format: str = "csv",
    from_: Annotated[str | None, Query(alias="from")] = None,
    to: str | None = None,
    obligation: str | None = None,
    q: str | None = None,
):
    if kind not in EXPORTS:
        raise HTTPException(404, f"no export {kind!r}")
    if format not in ("csv", "xlsx"):
        raise HTTPException(400, f"format {format!r}: expected csv or xlsx")
    if ctx.scope.sees_nothing:
        raise HTTPException(403, "your account is not mapped to a unit")
    where = scope_conditions(kind, ctx.scope)
    if kind == "evaluations":
        if not (from_ and to):
            raise HTTPException(400, "evaluations need from and to")
        if obligation:
            where.append(Evaluation.obligation_id == obligation)
    if kind == "blacklist" and q:
        where.append(queries.blacklist_search(q))
    export, columns = EXPORTS[kind]
    try:
        rows = export(session, from_, to, where=where)
    except (SafegovError, PeriodKeyError) as exc:
        raise HTTPException(400, str(exc)) from None
    name = "_".join(p for p in (ctx.t(FILE_WORDS[kind]), obligation, from_, to) if p)
    if format == "xlsx":
        rows, columns = with_names(session, rows, columns)
    return table_file(rows, columns, format, name)


def table_file(
    rows: list[dict[str, Any]],
    columns: list[str],
    format: str,
    name: str,
    *,
    translations: dict[str, Any] | None = None,
) -> Response:
    """``rows`` as a download named ``name.<format>``: CSV with a BOM, or an Excel workbook
    with Chinese headers (``spreadsheet_words``; ``translations`` in place of its words for
    a table whose codes read otherwise, as the outbox's states)."""
    if format == "csv":
        # The BOM: Excel on Chinese Windows reads a CSV as UTF-8 only with it (as ``write_rows`` to a file).
        body: bytes = ("\ufeff" + render_rows(rows, columns, "csv")).encode("utf-8")
        media_type = CSV_MEDIA_TYPE
    else:
        from safegov.reports.xlsx import XLSX_MEDIA_TYPE, write_xlsx

        labels, words = spreadsheet_words()
        buf = io.BytesIO()
        write_xlsx(rows, columns, buf, labels=labels, translations=words | (translations or {}))
        body, media_type = buf.getvalue(), XLSX_MEDIA_TYPE
    disposition = f"attachment; filename*=UTF-8''{quote(f'{name}.{format}')}"
    return Response(body, media_type=media_type, headers={"Content-Disposition": disposition})
