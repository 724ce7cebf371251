"""Downloads of the exports (``safegov export``) from the dashboard tables, as CSV or Excel
(``/exports/{kind}?format=csv|xlsx&from=&to=``; evaluations also ``obligation=``, the
blacklist ``q=``, the page's search).

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
from safegov.db.models import BlacklistEntry, Case, Enterprise, Evaluation, RawRow
from safegov.reports.exports import EXPORTS, render_rows, with_names
from safegov.web import queries
from safegov.web.deps import CtxDep, SessionDep
from safegov.web.i18n import spreadsheet_words
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


def table_file(rows: list[dict[str, Any]], columns: list[str], format: str, name: str) -> Response:
    """``rows`` as a download named ``name.<format>``: CSV with a BOM, or an Excel workbook
    with Chinese headers (``spreadsheet_words``)."""
    if format == "csv":
        # The BOM: Excel on Chinese Windows reads a CSV as UTF-8 only with it (as ``write_rows`` to a file).
        body: bytes = ("\ufeff" + render_rows(rows, columns, "csv")).encode("utf-8")
        media_type = CSV_MEDIA_TYPE
    else:
        from safegov.reports.xlsx import XLSX_MEDIA_TYPE, write_xlsx

        labels, translations = spreadsheet_words()
        buf = io.BytesIO()
        write_xlsx(rows, columns, buf, labels=labels, translations=translations)
        body, media_type = buf.getvalue(), XLSX_MEDIA_TYPE
    disposition = f"attachment; filename*=UTF-8''{quote(f'{name}.{format}')}"
    return Response(body, media_type=media_type, headers={"Content-Disposition": disposition})
