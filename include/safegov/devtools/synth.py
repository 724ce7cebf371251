"""Province-scale synthetic submissions (``safegov synth``), streamed month by month.

The same :class:`safegov.devtools.demo.Generator` as the demo, parametrised by size and without the
planted story: ``--enterprises 100000 --from 2017-02 --to 2026-12`` gives about 12 million
rows at about 90 % compliance, with late arrivals, bad rows and accidents. Output is the inbox
format of SPEC §3, one plain UTF-8 CSV per record type per month (``hazard_inspection_2024-03.csv``)
plus the three registries and the 2017–2018 milestones; only one month is ever in memory.

``load=True`` feeds every chunk through ``safegov.intake.pipeline.ingest_paths`` — the same code path as
``safegov ingest`` — registries first, then month by month, deleting each chunk once loaded
unless an output folder was asked for.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from safegov.core.progress import NO_PROGRESS, Progress
from safegov.devtools.demo import HEADERS, MONTH_TAGS, Generator, file_name, write_csv

# Progress stages (safegov.core.progress) of write_synth, besides the ingestion's own.
PROGRESS_MONTHS = "月份 months"
PROGRESS_WRITTEN_FILES = "写出文件 files written"
PROGRESS_WRITTEN_ROWS = "写出行 rows written"

# All departments with safety duties: the region's, six per league/city, four per county.
DEFAULT_DEPARTMENTS = 12 + 6 * 12 + 4 * 103


def write_synth(
    out: Path | None,
    *,
    enterprises: int,
    from_key: str,
    to_key: str,
    seed: int = 1,
    compliance: float = 0.90,
    departments: int = DEFAULT_DEPARTMENTS,
    load_engine=None,
    progress: Progress | None = None,
    config_dir: Path | None = None,
) -> dict:
    """Write (and optionally load) the synthetic set; returns counts, bytes, seconds and rows/s.

    ``out`` None with ``load_engine`` set: chunks go to a temporary folder and are removed once
    ingested. ``progress`` (safegov.core.progress) is told of the months written
    (:data:`PROGRESS_MONTHS`), the files and rows written (final figures: ``files`` and
    ``rows_total`` of the result) and, with ``load_engine``, of the ingestion of each chunk.
    """
    progress = progress or NO_PROGRESS
    if out is None and load_engine is None:
        raise ValueError("give an output folder, or an engine to load into")
    temp = None
    if out is None:
        temp = Path(tempfile.mkdtemp(prefix="safegov-synth-"))
        out = temp
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    keep = temp is None
    started = time.perf_counter()
    gen = Generator(
        seed=seed,
        first=from_key,
        last=to_key,
        enterprises=enterprises,
        departments=departments,
        compliance=compliance,
        late_rate=0.03,
        bad_rate=0.01,
        not_evidence_rate=0.01,
        config_dir=config_dir,
    )
    setup_seconds = time.perf_counter() - started
    progress.add(PROGRESS_MONTHS, len(gen.months))
    write_seconds = 0.0
    write_cpu = 0.0  # CPU time of this process: the figure that does not depend on the machine's load
    load_seconds = 0.0
    total_bytes = 0
    files = 0
    ingest_totals = {"files": 0, "accepted": 0, "quarantined": 0, "rows_total": 0}

    def flush(chunk: list[Path]) -> None:
        nonlocal load_seconds, total_bytes
        for p in chunk:
            total_bytes += p.stat().st_size
        if load_engine is not None and chunk:
            from safegov.intake.pipeline import ingest_paths

            t = time.perf_counter()
            # No Data Docs per chunk at this scale.
            report = ingest_paths(load_engine, chunk, docs_dir=None, progress=progress)
            load_seconds += time.perf_counter() - t
            for f in report.files:
                ingest_totals["files"] += 1
                ingest_totals["accepted"] += int(getattr(f, "accepted", 0) or 0)
                ingest_totals["quarantined"] += int(getattr(f, "quarantined", 0) or 0)
                ingest_totals["rows_total"] += int(getattr(f, "rows_total", 0) or 0)
            if not keep:
                for p in chunk:
                    p.unlink(missing_ok=True)

    rows_told = 0

    def written(chunk: list[Path]) -> None:
        nonlocal rows_told
        rows = sum(gen.stats.rows.values())
        progress.advance(PROGRESS_WRITTEN_FILES, len(chunk))
        progress.advance(PROGRESS_WRITTEN_ROWS, rows - rows_told)
        rows_told = rows

    t = time.perf_counter()
    c = time.process_time()
    chunk: list[Path] = []
    regs = gen.registry_rows()
    for rt in ("department", "leader", "enterprise"):
        path = out / f"{rt}_registry.csv"
        write_csv(path, HEADERS[rt], regs[rt])
        chunk.append(path)
    # 〔九〕 department inspections name their certified officers: the staff registry goes too.
    path = out / "staff_registry.csv"
    write_csv(path, HEADERS["staff"], gen.staff_rows())
    chunk.append(path)
    path = out / "milestone_2017-2018.csv"
    write_csv(path, HEADERS["milestone"], gen.milestone_rows())
    chunk.append(path)
    del regs
    write_seconds += time.perf_counter() - t
    write_cpu += time.process_time() - c
    files += len(chunk)
    written(chunk)
    flush(chunk)
    for key in gen.months:
        t = time.perf_counter()
        c = time.process_time()
        rows = gen.month(key)
        chunk = []
        for tag in MONTH_TAGS:
            if rows.get(tag):
                path = out / file_name(tag, key)
                write_csv(path, HEADERS[tag.partition(":")[0]], rows[tag])
                chunk.append(path)
        del rows
        write_seconds += time.perf_counter() - t
        write_cpu += time.process_time() - c
        files += len(chunk)
        written(chunk)
        flush(chunk)
        progress.advance(PROGRESS_MONTHS)
    if temp is not None:
        shutil.rmtree(temp, ignore_errors=True)
    rows_total = sum(gen.stats.rows.values())
    s = gen.stats
    result = {
        "out": None if temp is not None else str(out),
        "seed": seed,
        "from": gen.months[0],
        "to": gen.months[-1],
        "enterprises": enterprises,
        "departments": len(gen.departments),
        "files": files,
        "rows_total": rows_total,
        "counts": dict(sorted(s.rows.items())),
        "bytes": total_bytes,
        "bad_rows": sum(s.bad.values()),
        "late_rows": sum(s.late.values()),
        "accidents": len(gen.accidents),
        "obligations": {
            "planned": dict(sorted(s.planned.items())),
            "omitted": dict(sorted(s.omitted.items())),
            "not_evidence": dict(sorted(s.not_evidence.items())),
            "compliance": s.compliance(),
        },
        "setup_seconds": round(setup_seconds, 2),
        "write_seconds": round(write_seconds, 2),
        "rows_per_second": int(rows_total / write_seconds) if write_seconds else None,
        "write_cpu_seconds": round(write_cpu, 2),
        "rows_per_cpu_second": int(rows_total / write_cpu) if write_cpu else None,
    }
    if load_engine is not None:
        result["load_seconds"] = round(load_seconds, 2)
        result["ingest"] = ingest_totals
    return result
