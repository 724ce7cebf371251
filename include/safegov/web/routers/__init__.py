"""The dashboard's routes, one module per page with its JSON and SVG: ``create_app`` includes ``ROUTERS``."""

from __future__ import annotations

from safegov.web.routers import blacklist, bulletins, cases, data_docs, exports, meta, outbox, overview, quality

ROUTERS = [
    overview.router,
    cases.router,
    blacklist.router,
    quality.router,
    data_docs.router,
    outbox.router,
    bulletins.router,
    exports.router,
    meta.router,
]
