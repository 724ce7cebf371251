"""The production image's install step, without a container runtime.

The Dockerfile installs requirements-runtime.lock and then safegov (``--no-deps -e .``) over
the official Airflow image. Here the same two lines run with uv into a fresh Python 3.11 venv,
and from that venv alone the DAG folder is parsed and the plugins and the FAB auth manager are
imported: a package the code needs at run time but only the test lock carries fails here.
The runtime lock itself pins exactly the test lock's versions, minus the test tools.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest
from afhelpers import DAGS, PLUGINS, ROOT, airflow_env
from test_af_dag_integrity import EXPECTED_DAGS

RUNTIME_LOCK = ROOT / "requirements-runtime.lock"
TEST_LOCK = ROOT / "requirements.lock"
UV = ROOT / ".venv" / "bin" / "uv"
TEST_ONLY = {"pytest", "pytest-xdist", "pytest-timeout", "playwright", "cpca", "ruff"}


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^([A-Za-z0-9_.\-]+)==(\S+)", line)
        if m:
            pins[m.group(1).lower()] = m.group(2)
    return pins


def _dockerfile_installs() -> list[str]:
    """The arguments of each ``pip install`` in the Dockerfile's RUN lines."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    runs = [ln[4:] for ln in text.splitlines() if ln.startswith("RUN ")]
    out = []
    for run in runs:
        for part in run.split("&&"):
            words = part.split()
            if words[:2] == ["pip", "install"]:
                out.append(" ".join(w for w in words[2:] if w != "--no-cache-dir"))
    return out


def test_runtime_lock_is_the_test_lock_without_the_test_tools():
    runtime, test = _pins(RUNTIME_LOCK), _pins(TEST_LOCK)
    assert not TEST_ONLY & set(runtime)
    assert TEST_ONLY <= set(test)
    # same version of every package both pin; the test lock adds only test tools and their deps
    assert {k: v for k, v in runtime.items() if test.get(k) != v} == {}
    extra = set(test) - set(runtime)
    assert TEST_ONLY <= extra and len(extra) < 20
    assert runtime["apache-airflow"] == "3.3.2" and "apache-airflow-providers-fab" in runtime


def test_dockerfile_installs_the_runtime_lock_and_nothing_else():
    assert _dockerfile_installs() == ["-r requirements-runtime.lock", "--no-deps -e ."]
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "COPY --chown=airflow:0 requirements-runtime.lock pyproject.toml ./" in dockerfile
    code = "\n".join(ln for ln in dockerfile.splitlines() if not ln.startswith("#"))
    assert "requirements.lock" not in code  # the test lock never enters the image


def test_build_context_leaves_out_the_venv_tests_and_data():
    ignored = {
        ln.strip() for ln in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines() if ln and ln[0] != "#"
    }
    assert {".venv", "tests", "data", "airflow_home", "test-artifacts", ".git"} <= ignored
    # what the Dockerfile copies must stay in the context
    assert not {"include", "pyproject.toml", "requirements-runtime.lock"} & ignored


# Run in the fresh venv: parse the DAG folder, import the plugins and the FAB auth manager,
# and report what is (not) importable.
CHECK = textwrap.dedent(
    """
    import importlib, importlib.util, json, sys
    from pathlib import Path
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=sys.argv[1], safe_mode=False)
    plugins = []
    for path in sorted(Path(sys.argv[2]).glob("*.py")):
        spec = importlib.util.spec_from_file_location(path.stem, path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        plugins.append(path.stem)
    from airflow.providers.fab.auth_manager.fab_auth_manager import FabAuthManager

    absent = [m for m in ("pytest", "playwright", "ruff") if importlib.util.find_spec(m) is not None]
    print(json.dumps({
        "dags": sorted(bag.dag_ids),
        "import_errors": {k: str(v)[-1500:] for k, v in bag.import_errors.items()},
        "plugins": plugins,
        "fab": FabAuthManager.__name__,
        "test_tools_present": absent,
        "prefix": sys.prefix,
    }))
    """
)


@pytest.mark.slow
def test_runtime_lock_installs_into_a_fresh_venv_and_runs_the_dags_and_plugins(tmp_path):
    python = shutil.which("python3.11")
    assert python, "python3.11 is needed to build the image's environment"
    venv = tmp_path / "venv"
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    subprocess.run([str(UV), "venv", "--quiet", "--python", python, str(venv)], check=True, env=env, timeout=120)
    for args in _dockerfile_installs():  # the Dockerfile's own lines, with uv for pip
        subprocess.run(
            [str(UV), "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"), *args.split()],
            check=True,
            cwd=ROOT,
            env=env,
            timeout=600,
        )
    home = tmp_path / "airflow_home"
    (home / "data" / "inbox").mkdir(parents=True)
    run_env = airflow_env(home)
    run_env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    proc = subprocess.run(
        [str(venv / "bin" / "python"), "-c", CHECK, str(DAGS), str(PLUGINS)],
        env=run_env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["prefix"] == str(venv)
    assert out["import_errors"] == {}
    assert set(out["dags"]) == EXPECTED_DAGS
    assert out["plugins"] == sorted(p.stem for p in PLUGINS.glob("*.py"))
    assert out["fab"] == "FabAuthManager"
    assert out["test_tools_present"] == []
