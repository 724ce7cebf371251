"""DAG folder parse time vs a trivial DAG file (what the dag-processor pays per parse loop).

    .venv/bin/python benchmarks/parse_bench.py [--repeat 5]

Each measurement parses in a fresh interpreter that has already imported Airflow, so the
figure is the cost of *our* files (imports of safegov, register load, DAG construction),
not Airflow's own start-up. Reports the median of ``--repeat`` runs per DAG file, for the
whole folder, and for a baseline folder with one trivial DAG.

``bench(size, work)`` (``make bench``): the whole folder against the trivial DAG, target
≤ 1 s beyond Airflow's own import (the trivial DAG's parse is Airflow's share); median of 5
runs at full size, 1 below. When the target is missed, each DAG file is measured too.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

from common import Figure, Size

ROOT = Path(__file__).resolve().parents[1]

TRIVIAL = textwrap.dedent(
    """
    import pendulum
    from airflow.providers.standard.operators.empty import EmptyOperator
    from airflow.sdk import DAG

    with DAG("trivial", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="Asia/Shanghai")):
        EmptyOperator(task_id="noop")
    """
)

MEASURE = textwrap.dedent(
    """
    import json, sys, time
    from airflow.dag_processing.dagbag import DagBag
    from airflow.providers.standard.operators.python import PythonOperator  # warm: every DAG uses it
    t0 = time.perf_counter()
    bag = DagBag(dag_folder=sys.argv[1], safe_mode=False)
    elapsed = time.perf_counter() - t0
    print("@@" + json.dumps({"seconds": elapsed, "dags": len(bag.dags), "errors": len(bag.import_errors)}))
    """
)


def measure(path: Path, env: dict[str, str]) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path)], env=env, capture_output=True, text=True, timeout=600
    )
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("@@")), None)
    if line is None:
        raise SystemExit(f"parse of {path} failed:\n{proc.stderr[-2000:]}")
    return json.loads(line[2:])


BASELINE = "baseline (1 trivial DAG)"
FOLDER = "dags/ (whole folder)"
TARGET_BEYOND_AIRFLOW = 1.0  # seconds, issue #7


def prepare(work: Path) -> tuple[dict[str, str], Path]:
    """The parse environment (a throw-away AIRFLOW_HOME) and the baseline folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW__")}
    env.update(
        AIRFLOW_HOME=str(work / "home"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__PLUGINS_FOLDER=str(ROOT / "plugins"),
        AIRFLOW__LOGGING__LOGGING_LEVEL="ERROR",
    )
    baseline_dir = work / "baseline"
    baseline_dir.mkdir(parents=True, exist_ok=True)
    (baseline_dir / "trivial.py").write_text(TRIVIAL)
    return env, baseline_dir


def dag_files() -> dict[str, Path]:
    return {f"dags/{f.name}": f for f in sorted((ROOT / "dags").glob("*.py"))}


def measure_targets(targets: dict[str, Path], env: dict[str, str], repeat: int) -> dict[str, dict]:
    """Median and min parse seconds of each folder or file, ``repeat`` fresh parses each."""
    results = {}
    for name, path in targets.items():
        runs = [measure(path, env) for _ in range(repeat)]
        print(f"  measured {name}", file=sys.stderr, flush=True)
        results[name] = {
            "median_s": round(statistics.median(r["seconds"] for r in runs), 4),
            "min_s": round(min(r["seconds"] for r in runs), 4),
            "dags": runs[0]["dags"],
            "errors": runs[0]["errors"],
            "runs": repeat,
        }
    return results


def measure_all(work: Path, *, repeat: int, per_file: bool) -> dict[str, dict]:
    """The trivial baseline, the folder and (``per_file``) each DAG file."""
    env, baseline_dir = prepare(work)
    targets = {BASELINE: baseline_dir, FOLDER: ROOT / "dags", **(dag_files() if per_file else {})}
    return measure_targets(targets, env, repeat)


def _figure(name: str, r: dict, base: float, *, judged: bool) -> Figure:
    beyond = r["median_s"] - base
    return Figure(
        "parse",
        f"parse {name}, {r['dags']} DAG(s)",
        r["median_s"],
        "s",
        baseline="1 trivial DAG file (Airflow's own share)",
        baseline_value=base,
        target=f"≤ {TARGET_BEYOND_AIRFLOW:g} s beyond Airflow's own import" if judged else "",
        met=(beyond <= TARGET_BEYOND_AIRFLOW and r["errors"] == 0) if judged else None,
        note=(
            f"+{beyond:.3f} s beyond the trivial DAG; median of {r['runs']}, min {r['min_s']:.3f} s"
            + (f"; {r['errors']} import error(s)" if r["errors"] else "")
        ),
        extra=r,
    )


def bench(size: Size, work: Path) -> list[Figure]:
    env, baseline_dir = prepare(work)
    repeat = 5 if size.is_full else 1
    results = measure_targets({BASELINE: baseline_dir, FOLDER: ROOT / "dags"}, env, repeat)
    base = results[BASELINE]["median_s"]
    folder = _figure(FOLDER, results[FOLDER], base, judged=True)
    if folder.met:
        return [folder]
    # Missed: parse each file alone to name where the time goes.
    files = sorted(measure_targets(dag_files(), env, repeat).items(), key=lambda kv: -kv[1]["median_s"])
    slowest, r = files[0]
    folder.note += f"; slowest file {slowest} +{r['median_s'] - base:.3f} s (per-file rows below)"
    return [folder, *(_figure(name, r, base, judged=False) for name, r in files)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--quick", action="store_true", help="baseline and whole folder only, no per-file figures")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        results = measure_all(Path(tmp), repeat=args.repeat, per_file=not args.quick)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print(f"{'target':36} {'median':>9} {'min':>9} {'dags':>5} {'errors':>6}")
        for name, r in results.items():
            print(f"{name:36} {r['median_s']:9.3f} {r['min_s']:9.3f} {r['dags']:5d} {r['errors']:6d}")
        base = results[BASELINE]["median_s"]
        whole = results[FOLDER]["median_s"]
        print(
            f"\nfolder parse {whole:.3f} s vs trivial baseline {base:.3f} s (+{whole - base:.3f} s for "
            f"{results[FOLDER]['dags']} DAGs)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
