"""What every benchmark module shares: the size knob and the figure it reports.

Each ``benchmarks/<area>_bench.py`` keeps its own command line and also exposes
``bench(size: Size, work: Path) -> list[Figure]``; ``benchmarks/run_all.py`` (``make bench``)
runs each module in a fresh interpreter, collects the figures and writes
``benchmarks/results.md``.

A figure is compared with a *baseline measured in the same run* (the floor query, a bare
INSERT, a raw HTTP post, a trivial DAG file…), so that its ratio holds on a noisy machine;
absolute targets (≤ 2 s, ≤ 60 s) are reported beside the ratio, not instead of it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import resource
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

# BENCH_SIZE: a name or a fraction of the province scale of issue #7 (100,000 enterprises,
# ten years, 1 million ingested rows, 10,000 emails).
SIZES = {"smoke": 0.002, "small": 0.05, "medium": 0.25, "full": 1.0}


@dataclass(frozen=True)
class Size:
    name: str
    factor: float

    def n(self, full: int, minimum: int = 1) -> int:
        """``full`` scaled to this size, never below ``minimum``."""
        return max(minimum, round(full * self.factor))

    @property
    def is_full(self) -> bool:
        return self.factor >= 1.0


def size_from(value: str | None) -> Size:
    value = (value or "full").strip()
    if value in SIZES:
        return Size(value, SIZES[value])
    try:
        factor = float(value)
    except ValueError:
        raise SystemExit(f"BENCH_SIZE={value!r}: use one of {', '.join(SIZES)} or a fraction like 0.1") from None
    if not 0 < factor <= 1:
        raise SystemExit(f"BENCH_SIZE={value!r}: a fraction must be in (0, 1]")
    return Size(value, factor)


def size_from_env() -> Size:
    return size_from(os.environ.get("BENCH_SIZE"))


@dataclass
class Figure:
    """One measured figure. ``ratio`` = value / baseline_value (same unit, same run)."""

    bench: str  # the module's area: ingest, evaluate, escalate, mail, parse
    name: str  # what was measured, e.g. "one month, all obligations (PostgreSQL)"
    value: float
    unit: str  # "s", "rows/s", "msg/s", "MB"
    baseline: str | None = None  # what the baseline is, e.g. "hand-written anti-join floor"
    baseline_value: float | None = None
    target: str = ""  # the target in words, e.g. "≤ 2 s and ≤ 2× floor"
    met: bool | None = None  # None: no target for this figure
    note: str = ""  # the cause when a target is missed, sizes, counts
    extra: dict = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if not self.baseline_value:
            return None
        return self.value / self.baseline_value

    def to_json(self) -> dict:
        out = dataclasses.asdict(self)
        out["ratio"] = self.ratio
        return out

    @classmethod
    def from_json(cls, data: dict) -> Figure:
        data = dict(data)
        data.pop("ratio", None)
        return cls(**data)


@contextlib.contextmanager
def stopwatch() -> Iterator[list[float]]:
    """``with stopwatch() as t: ...`` then ``t[0]`` is the elapsed wall time in seconds."""
    out: list[float] = [0.0]
    start = time.perf_counter()
    try:
        yield out
    finally:
        out[0] = time.perf_counter() - start


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# The same server the tests use (database ``test``); benchmarks work in a throw-away schema.
PG_URL = os.environ.get("SAFEGOV_BENCH_PG_URL") or os.environ.get(
    "SAFEGOV_TEST_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test"
)


@contextlib.contextmanager
def scratch_database(backend: str, work: Path) -> Iterator:
    """A migrated compliance database (SQLAlchemy engine) that the benchmark leaves nothing of.

    ``sqlite``: a file under ``work``; ``postgresql``: a schema of its own in :data:`PG_URL`
    (search_path), dropped afterwards.
    """
    from safegov.db.engine import make_engine, migrate, scratch_schema

    if backend == "sqlite":
        path = Path(work) / f"bench-{uuid.uuid4().hex[:8]}.db"
        engine = make_engine(f"sqlite:///{path}")
        try:
            migrate(engine)
            yield engine
        finally:
            engine.dispose()
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    if backend != "postgresql":
        raise ValueError(f"backend {backend!r}: sqlite or postgresql")
    with scratch_schema(PG_URL, "bench") as engine:
        yield engine
