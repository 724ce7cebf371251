"""The monthly bulletin drafts of the user's offices, listed, previewed and downloaded
(page ``/bulletins``, ``bulletins/<period>/<unit>.<ext>``, ``api/bulletins``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse, HTMLResponse

from safegov.org.tree import UnitTree
from safegov.web.deps import CtxDep, DataDirDep, TreeDep
from safegov.web.paths import safe_join
from safegov.web.rendering import render
from safegov.web.scope import Scope

EXTENSIONS = ("html", "md", "csv", "docx")
MEDIA_TYPES = {
    "html": "text/html; charset=utf-8",
    "md": "text/markdown; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}

router = APIRouter()


@router.get("/bulletins", response_class=HTMLResponse)
def bulletins_page(ctx: CtxDep, data_dir: DataDirDep, tree: TreeDep, show: str | None = None):
    found = drafts(ctx.scope, data_dir, tree)
    # Preview the chosen draft, else the newest one of the user's own office, else the first.
    shown = next((d for d in found if f"{d['period']}/{d['unit_code']}" == show), None)
    if shown is None and found:
        own = [d for d in found if d["unit_code"] == (ctx.scope.unit_code or "150000")]
        shown = own[0] if own else found[0]
    return render(ctx, "bulletins.html", drafts=found, shown=shown)


@router.get("/bulletins/{period}/{unit_code}.{ext}")
def bulletin_file(period: str, unit_code: str, ext: str, ctx: CtxDep, data_dir: DataDirDep, tree: TreeDep):
    if ext not in EXTENSIONS or not ctx.scope.allows(unit_code):
        raise HTTPException(404, "no such draft")
    path = safe_join(data_dir / "bulletins", period, f"{unit_code}.{ext}")
    if path is None or not path.is_file():
        raise HTTPException(404, "no such draft")
    if ext == "docx":
        # The official document is downloaded (opened in WPS or Word), under a name a person reads.
        name = f"{tree.name(unit_code)}安全生产信息通报（{period}）.docx"
        return FileResponse(path, media_type=MEDIA_TYPES[ext], filename=name)
    return FileResponse(path, media_type=MEDIA_TYPES[ext])


@router.get("/api/bulletins")
def api_bulletins(ctx: CtxDep, data_dir: DataDirDep, tree: TreeDep):
    return drafts(ctx.scope, data_dir, tree)


def drafts(scope: Scope, data_dir: Path, tree: UnitTree) -> list[dict[str, Any]]:
    """The drafts under ``data_dir/bulletins/<period>/`` of units in ``scope``, newest period first."""
    root = data_dir / "bulletins"
    out: list[dict[str, Any]] = []
    if scope.sees_nothing or not root.is_dir():
        return out
    for pdir in sorted((p for p in root.iterdir() if p.is_dir()), reverse=True):
        # Any draft file names an office's draft: `report bulletin --format docx` writes no .md.
        for code in sorted({p.stem for p in pdir.iterdir() if p.suffix[1:] in EXTENSIONS}):
            if scope.allows(code):
                files = [e for e in EXTENSIONS if (pdir / f"{code}.{e}").exists()]
                out.append({"period": pdir.name, "unit_code": code, "unit_name": tree.name(code), "files": files})
    return out
