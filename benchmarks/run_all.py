"""``make bench``: run every area's benchmark and write its ``BENCH_SIZE``'s section of ``benchmarks/results.md``.

    .venv/bin/python benchmarks/run_all.py [--out PATH] [--only ingest,mail] [--timeout 3600]

BENCH_SIZE (smoke, small, medium, full or a fraction; default full) scales every area. Each
area (``benchmarks/<module>.py`` with ``bench(size, work)``) runs in a fresh interpreter, so its
peak memory is its own and a crash stops only that area: a failed area is reported in the
results with the tail of its output, and the command exits 1. A missed target is not a
failure: the figure shows the gap and its cause.
"""

from __future__ import annotations

import argparse
import ast
import collections
import contextlib
import datetime as dt
import importlib
import json
import math
import os
import platform
import re
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from common import PG_URL, Figure, peak_rss_mb, size_from_env, stopwatch

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# Area → module, in the order they run and appear in the results.
AREAS = {
    "ingest": "ingest_bench",
    "evaluate": "eval_bench",
    "escalate": "escalate_bench",
    "mail": "mail_bench",
    "parse": "parse_bench",
}
PINNED = ("apache-airflow", "SQLAlchemy", "great-expectations", "pandas", "sendgrid")
TAIL_LINES = 40


@dataclass
class AreaResult:
    area: str
    status: str  # "ok", "failed", "skipped"
    figures: list[Figure] = field(default_factory=list)
    seconds: float = 0.0
    peak_rss_mb: float | None = None
    detail: str = ""  # why skipped, or the failure's exit status and output tail


# --------------------------------------------------------------------------- one area, in a child


def run_child(area: str, figures_path: Path, work: Path) -> int:
    """Inside the fresh interpreter: call ``bench`` and write its figures as JSON."""
    module = importlib.import_module(AREAS[area])
    size = size_from_env()
    with stopwatch() as t:
        figures = module.bench(size, work)
    # Some areas measure in child processes of their own (parse): count the larger.
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    figures_path.write_text(
        json.dumps(
            {
                "figures": [f.to_json() for f in figures],
                "seconds": t[0],
                "peak_rss_mb": max(peak_rss_mb(), children),
            },
            ensure_ascii=False,
            default=str,
        ),
        encoding="utf-8",
    )
    return 0


def has_bench(area: str) -> bool:
    """Whether the module defines a top-level ``bench`` (read, not imported: imports are heavy)."""
    path = HERE / f"{AREAS[area]}.py"
    if not path.exists():
        return False
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return any(isinstance(node, ast.FunctionDef) and node.name == "bench" for node in tree.body)


def run_area(area: str, work_root: Path, timeout: float) -> AreaResult:
    if not has_bench(area):
        reason = f"benchmarks/{AREAS[area]}.py " + (
            "has no bench() yet" if (HERE / f"{AREAS[area]}.py").exists() else "does not exist yet"
        )
        print(f"== {area}: skipped ({reason})", flush=True)
        return AreaResult(area, "skipped", detail=reason)
    work = work_root / area
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    figures_path = work_root / f"{area}.figures.json"
    figures_path.unlink(missing_ok=True)
    print(f"== {area}: running benchmarks/{AREAS[area]}.py", flush=True)
    tail: collections.deque[str] = collections.deque(maxlen=TAIL_LINES)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with stopwatch() as t:
        proc = subprocess.Popen(
            [
                sys.executable,
                str(Path(__file__).resolve()),
                "--child",
                area,
                "--figures",
                str(figures_path),
                "--work",
                str(work),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            start_new_session=True,
        )
        timed_out = threading.Event()

        def kill() -> None:
            # The area's own session: its children (Airflow parses, the mail server) go with it.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)

        def on_timeout() -> None:
            timed_out.set()
            kill()

        timer = threading.Timer(timeout, on_timeout)
        timer.start()
        try:
            for line in proc.stdout:
                print(f"   {area} | {line}", end="", flush=True)
                tail.append(line.rstrip("\n"))
            code = proc.wait()
        except BaseException:  # Ctrl-C reaches only this process: the area runs in its own session
            kill()
            raise
        finally:
            timer.cancel()
    if code != 0 or not figures_path.exists():
        why = f"timed out after {timeout:g} s" if timed_out.is_set() else f"exit status {code}"
        print(f"== {area}: FAILED ({why}); work files kept in {work}", flush=True)
        return AreaResult(area, "failed", seconds=t[0], detail=why + "\n" + "\n".join(tail))
    data = json.loads(figures_path.read_text(encoding="utf-8"))
    figures_path.unlink()
    shutil.rmtree(work, ignore_errors=True)
    print(f"== {area}: {len(data['figures'])} figure(s) in {t[0]:.1f} s", flush=True)
    return AreaResult(area, "ok", [Figure.from_json(f) for f in data["figures"]], t[0], data.get("peak_rss_mb"))


# --------------------------------------------------------------------------- the header


def _first(path: str, key: str, sep: str = ":") -> str | None:
    """The value of the first ``key<sep>value`` line of a /proc or /etc file."""
    try:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            name, found, value = line.partition(sep)
            if found and name.strip() == key:
                return value.strip().strip('"')
    except OSError:
        pass
    return None


def machine() -> str:
    cpu = _first("/proc/cpuinfo", "model name") or platform.processor() or platform.machine()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    mem_kb = _first("/proc/meminfo", "MemTotal")
    ram = f"{int(mem_kb.split()[0]) / 1024**2:.1f} GiB RAM" if mem_kb else "RAM unknown"
    os_name = _first("/etc/os-release", "PRETTY_NAME", "=") or platform.system()
    return f"{cpu}, {os.cpu_count()} cores ({usable} usable), {ram}, {os_name} (kernel {platform.release()})"


def postgres_version() -> str | None:
    """The server version at PG_URL, None when it cannot be reached."""
    import psycopg2

    try:
        with (
            psycopg2.connect(PG_URL.replace("postgresql+psycopg2", "postgresql"), connect_timeout=3) as conn,
            conn.cursor() as cur,
        ):
            cur.execute("SHOW server_version")
            return cur.fetchone()[0]
    except psycopg2.Error:
        return None


def commit() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" (with uncommitted changes)" if dirty else "")


def header(started: dt.datetime) -> list[tuple[str, str]]:
    from sqlalchemy.engine import make_url

    size = size_from_env()
    versions = []
    for name in PINNED:
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name} (not installed)")
    return [
        ("Date", started.isoformat(timespec="seconds")),
        ("BENCH_SIZE", f"{size.name} (× {size.factor:g} of the full size)"),
        ("Machine", machine()),
        ("Python", platform.python_version()),
        ("SQLite", sqlite3.sqlite_version),
        ("PostgreSQL", f"server {postgres_version() or 'not reachable'} at {make_url(PG_URL).render_as_string()}"),
        ("Pinned", ", ".join(versions)),
        ("Commit", commit()),
    ]


# --------------------------------------------------------------------------- the report


def fmt(x: float | None) -> str:
    if x is None:
        return "—"
    if not math.isfinite(x):
        return str(x)
    if x == int(x) and abs(x) < 1e15:
        return f"{int(x):,}"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 1:
        return f"{x:.2f}"
    return f"{x:.3g}"


def _cell(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ")


def table(figures: list[Figure]) -> list[str]:
    lines = [
        "| figure | value | unit | baseline | ratio | target | met | note |",
        "|---|---:|---|---|---:|---|:-:|---|",
    ]
    for f in figures:
        base = f"{_cell(f.baseline)}: {fmt(f.baseline_value)}" if f.baseline else "—"
        ratio = f"{f.ratio:.2f}×" if f.ratio is not None else "—"
        met = {True: "✅", False: "❌", None: "—"}[f.met]
        lines.append(
            f"| {_cell(f.name)} | {fmt(f.value)} | {_cell(f.unit)} | {base} | {ratio} | "
            f"{_cell(f.target) or '—'} | {met} | {_cell(f.note)} |"
        )
    return lines


PREAMBLE = [
    "# safegov benchmarks",
    "",
    "Written by `make bench` (`benchmarks/run_all.py`), one section per `BENCH_SIZE`: a run "
    "rewrites its own size's section and keeps the others, each with the commit it measured. "
    "Each ratio is value ÷ baseline, both measured in the same run, so it holds on a noisy "
    "machine; the absolute target is judged beside it. A ❌ row's note gives the measured gap "
    "and its cause.",
    "",
]
# A size's section lies between these two lines; the sizes appear in this order, others after.
SECTION_START = "<!-- BENCH_SIZE {name} -->"
SECTION_END = "<!-- end BENCH_SIZE {name} -->"
_SECTION = re.compile(r"^<!-- BENCH_SIZE (\S+) -->\n(.*?)^<!-- end BENCH_SIZE \1 -->\n?", re.M | re.S)
SIZE_ORDER = ("full", "medium", "small", "smoke")


def section(size_name: str, head: list[tuple[str, str]], results: list[AreaResult]) -> str:
    """One size's results: the run's header, the count of targets met, a part per area."""
    figures = [f for r in results for f in r.figures]
    judged = [f for f in figures if f.met is not None]
    met = sum(bool(f.met) for f in judged)
    failed = [r.area for r in results if r.status == "failed"]
    skipped = [r.area for r in results if r.status == "skipped"]
    summary = f"**{met} of {len(judged)} targets met**"
    if failed:
        summary += f"; areas failed: {', '.join(failed)}"
    if skipped:
        summary += f"; areas skipped: {', '.join(skipped)}"
    out = [
        f"## BENCH_SIZE {size_name}",
        "",
        "| | |",
        "|---|---|",
        *(f"| {k} | {_cell(v)} |" for k, v in head),
        "",
        summary + ".",
        "",
    ]
    for r in results:
        if r.status == "skipped":
            out += [f"### {r.area}", "", f"Skipped: {r.detail}.", ""]
            continue
        if r.status == "failed":
            status, _, tail = r.detail.partition("\n")
            out += [
                f"### {r.area}",
                "",
                f"**Failed** ({status}) after {r.seconds:.1f} s. Last output:",
                "",
                "```",
                tail or "(no output)",
                "```",
                "",
            ]
            continue
        rss = f"peak RSS {r.peak_rss_mb:,.0f} MB, " if r.peak_rss_mb is not None else ""
        out += [
            f"### {r.area}",
            "",
            f"{rss}{r.seconds:.1f} s (`benchmarks/{AREAS[r.area]}.py`).",
            "",
            *table(r.figures),
            "",
        ]
    return "\n".join(out)


def sections_of(text: str) -> dict[str, str]:
    """The size sections of a results file (a file without any: none)."""
    return {m.group(1): m.group(2).rstrip("\n") for m in _SECTION.finditer(text)}


def _index_row(name: str, body: str) -> str:
    """One line of the file's index: the size, its commit and date, and its count of targets met."""
    cells = dict(re.findall(r"^\| (Commit|Date) \| (.*?) \|$", body, re.M))
    met = re.search(r"^\*\*(\d+ of \d+) targets met\*\*", body, re.M)
    return f"| {name} | {cells.get('Commit', '—')} | {cells.get('Date', '—')} | {met.group(1) if met else '—'} |"


def report(existing: str | None, size_name: str, body: str) -> str:
    """The results file with ``size_name``'s section set to ``body`` and every other size's
    section of ``existing`` kept as it was, under an index of the sizes recorded."""
    sections = sections_of(existing or "")
    sections[size_name] = body
    order = sorted(sections, key=lambda n: (SIZE_ORDER.index(n) if n in SIZE_ORDER else len(SIZE_ORDER), n))
    out = [
        *PREAMBLE,
        "| BENCH_SIZE | commit | date | targets met |",
        "|---|---|---|---|",
        *(_index_row(n, sections[n]) for n in order),
        "",
    ]
    for n in order:
        out += [SECTION_START.format(name=n), sections[n], SECTION_END.format(name=n), ""]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=HERE / "results.md", help="where to write the results (Markdown)")
    ap.add_argument("--only", help=f"comma-separated areas out of {','.join(AREAS)}")
    ap.add_argument("--timeout", type=float, default=3600, help="seconds per area before it is killed")
    ap.add_argument("--work", type=Path, default=HERE / "work", help="scratch space, one folder per area")
    ap.add_argument("--child", choices=AREAS, help=argparse.SUPPRESS)
    ap.add_argument("--figures", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.child:
        return run_child(args.child, args.figures, args.work)
    areas = list(AREAS)
    if args.only:
        areas = [a.strip() for a in args.only.split(",") if a.strip()]
        unknown = [a for a in areas if a not in AREAS]
        if unknown:
            ap.error(f"unknown area(s) {', '.join(unknown)}; choose from {', '.join(AREAS)}")
    size = size_from_env()  # fail early on a bad BENCH_SIZE
    started = dt.datetime.now().astimezone()
    print(f"BENCH_SIZE={size.name} (× {size.factor:g}); areas: {', '.join(areas)}", flush=True)
    results = [run_area(area, args.work.resolve(), args.timeout) for area in areas]
    body = section(size.name, header(started), results)
    existing = args.out.read_text(encoding="utf-8") if args.out.exists() else None
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report(existing, size.name, body), encoding="utf-8")
    print("\n" + body + f"\nwritten to {args.out} (BENCH_SIZE {size.name}'s section)")
    return 1 if any(r.status == "failed" for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
