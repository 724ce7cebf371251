"""DAG folder parse time vs a trivial DAG file (what the dag-processor pays per parse loop).

    .venv/bin/python benchmarks/parse_bench.py [--repeat 5]

Each measurement parses in a fresh interpreter that has already imported Airflow, so the
figure is the cost of *our* files (imports of safegov, register load, DAG construction),
not Airflow's own start-up. Reports the median of ``--repeat`` runs per DAG file, for the
whole folder, and for a baseline folder with one trivial DAG.
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
    proc = subprocess.run([sys.executable, "-c", MEASURE, str(path)], env=env, capture_output=True, text=True, timeout=600)
    line = next((l for l in proc.stdout.splitlines() if l.startswith("@@")), None)
    if line is None:
        raise SystemExit(f"parse of {path} failed:\n{proc.stderr[-2000:]}")
    return json.loads(line[2:])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--quick", action="store_true", help="baseline and whole folder only, no per-file figures")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW__")}
        env.update(AIRFLOW_HOME=str(tmp / "home"), AIRFLOW__CORE__LOAD_EXAMPLES="False",
                   AIRFLOW__CORE__PLUGINS_FOLDER=str(ROOT / "plugins"),
                   AIRFLOW__LOGGING__LOGGING_LEVEL="ERROR")
        baseline_dir = tmp / "baseline"
        baseline_dir.mkdir()
        (baseline_dir / "trivial.py").write_text(TRIVIAL)
        targets = {"baseline (1 trivial DAG)": baseline_dir, "dags/ (whole folder)": ROOT / "dags"}
        if not args.quick:
            for f in sorted((ROOT / "dags").glob("*.py")):
                targets[f"dags/{f.name}"] = f
        results = {}
        for name, path in targets.items():
            runs = [measure(path, env) for _ in range(args.repeat)]
            print(f"  measured {name}", file=sys.stderr, flush=True)
            results[name] = {
                "median_s": round(statistics.median(r["seconds"] for r in runs), 4),
                "min_s": round(min(r["seconds"] for r in runs), 4),
                "dags": runs[0]["dags"],
                "errors": runs[0]["errors"],
            }
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print(f"{'target':36} {'median':>9} {'min':>9} {'dags':>5} {'errors':>6}")
        for name, r in results.items():
            print(f"{name:36} {r['median_s']:9.3f} {r['min_s']:9.3f} {r['dags']:5d} {r['errors']:6d}")
        base = results["baseline (1 trivial DAG)"]["median_s"]
        whole = results["dags/ (whole folder)"]["median_s"]
        print(f"\nfolder parse {whole:.3f} s vs trivial baseline {base:.3f} s (+{whole - base:.3f} s for 10 DAGs)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
