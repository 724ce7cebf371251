"""The Great Expectations Data Docs of the data directory, for region-wide users (``/data-docs/…``)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

from safegov.web.deps import CtxDep, DataDirDep
from safegov.web.paths import safe_join

# Data Docs show raw cells of submitted files: a ``<script>`` cell must not run on the
# Airflow origin. ``sandbox`` (without allow-scripts) gives the page an opaque origin and
# no scripts; GX's pages take their stylesheets and fonts from these CDNs.
GX_CDNS = (
    "https://cdn.jsdelivr.net https://cdnjs.cloudflare.com https://maxcdn.bootstrapcdn.com "
    "https://stackpath.bootstrapcdn.com https://unpkg.com"
)
DATA_DOCS_POLICY = (
    f"sandbox; default-src 'self'; style-src 'self' 'unsafe-inline' {GX_CDNS}; font-src 'self' {GX_CDNS}; "
    "img-src 'self' data:; frame-ancestors 'self'"
)

router = APIRouter()


@router.get("/data-docs/{path:path}")
def data_docs(path: str, ctx: CtxDep, data_dir: DataDirDep):
    # Data Docs hold raw values of rejected rows of every unit: region-wide users only.
    if ctx.scope.kind != "all":
        raise HTTPException(403, "Data Docs show every unit's rows: region-level users only")
    target = safe_join(data_dir / "data_docs", path or "index.html")
    if target is not None and target.is_dir():
        target = target / "index.html"
    if target is None or not target.is_file():
        raise HTTPException(404, "no Data Docs here yet (run the validation first)")
    return FileResponse(target, headers={"Content-Security-Policy": DATA_DOCS_POLICY})
