"""Issue #17: a NUL byte or a 20,000-character segment in a file URL is a 404, not a 500."""

from __future__ import annotations

import secrets

import pytest

from safegov.web.paths import safe_join

NUL = "%00"
LONG = "x" * 20_000


@pytest.fixture
def files(tmp_path):
    (tmp_path / "data" / "data_docs").mkdir(parents=True)
    (tmp_path / "data" / "data_docs" / "index.html").write_text("<p>GX Data Docs</p>")
    (tmp_path / "data" / "bulletins" / "2024-03").mkdir(parents=True)
    (tmp_path / "data" / "bulletins" / "2024-03" / "150000.md").write_text("# 通报", encoding="utf-8")


@pytest.mark.parametrize(
    "path",
    [
        f"/data-docs/index.html{NUL}",
        f"/data-docs/{NUL}/index.html",
        f"/data-docs/{LONG}",
        f"/data-docs/{LONG}/index.html",
        "/data-docs/" + "/".join(["y" * 200] * 30),  # each name fine, the whole path too long
        f"/bulletins/2024-03{NUL}/150000.md",
        f"/bulletins/{LONG}/150000.md",
        f"/bulletins/2024-03/{LONG}.md",
    ],
    ids=[
        "docs-nul-end",
        "docs-nul-dir",
        "docs-long",
        "docs-long-dir",
        "docs-long-path",
        "bul-nul",
        "bul-long-period",
        "bul-long-unit",
    ],
)
def test_unnameable_file_paths_are_not_found(as_user, files, path):
    resp = as_user("region_office", path)
    assert resp.status_code in (400, 404), resp.text[:200]


def test_the_files_themselves_are_still_served(as_user, files):
    assert as_user("region_office", "/data-docs/index.html").status_code == 200
    assert as_user("region_office", "/bulletins/2024-03/150000.md").status_code == 200


def test_safe_join_refuses_nul_and_too_long_names(tmp_path):
    name = secrets.token_hex(4)
    assert safe_join(tmp_path, name) == (tmp_path / name).resolve()
    assert safe_join(tmp_path, f"{name}\x00.html") is None
    assert safe_join(tmp_path, name * 5000) is None
    assert safe_join(tmp_path, "..", name) is None
