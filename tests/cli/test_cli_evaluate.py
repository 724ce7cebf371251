"""`safegov evaluate`: counts by status per obligation, exit 2 on bad input."""

from __future__ import annotations

from sqlalchemy.orm import Session


def test_cli_evaluate(sqlite_engine, monkeypatch, capsys, tmp_path):
    from safegov.cli import main as cli
    from safegov.core.settings import get_settings
    from safegov.db.engine import get_engine
    from safegov.org.units import sync_units

    url = sqlite_engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("SAFEGOV_DATABASE_URL", url)
    monkeypatch.setenv("SAFEGOV_NOW", "2024-04-09T00:00:00+08:00")
    get_settings.cache_clear()
    get_engine.cache_clear()
    try:
        with Session(sqlite_engine) as s, s.begin():
            sync_units(s)
        code = cli.main(["evaluate", "--from", "2024-03", "--to", "2024-03", "--obligation", "SC-MEET-LOCAL"])
        out = capsys.readouterr().out
        assert code == 0
        total = next(line for line in out.splitlines() if line.startswith("total")).split()
        assert total[1:] == ["0", "0", "115", "0", "0", "115"]  # 12 leagues + 103 counties missed
        assert cli.main(["evaluate", "--from", "2024-13", "--to", "2024-03"]) == 2
        assert cli.main(["evaluate", "--from", "2024-03", "--to", "2024-03", "--obligation", "NOPE-X"]) == 2
        # As of during grace everything is pending (nothing changes status to missed again).
        code = cli.main(["evaluate", "--from", "2024-03", "--to", "2024-03", "--as-of", "2024-04-08T12:00"])
        assert code == 0
    finally:
        get_settings.cache_clear()
        get_engine.cache_clear()
