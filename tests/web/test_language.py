"""The dashboard's language: ``?lang=`` wins and sticks to the links; without it the page's
script follows the Airflow UI's language (i18next's ``i18nextLng`` in localStorage), run here
under Node with a stand-in window."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from safegov.web.routers.meta import LANG_SCRIPT

HARNESS = """
const script = require("fs").readFileSync(process.argv[1], "utf8");
const [href, pageLang, stored, blocked] = JSON.parse(process.argv[2]);
let replaced = null;
const window = {
  location: { href, replace: (u) => { replaced = u; } },
  localStorage: {
    getItem: (k) => { if (blocked) throw new Error("denied"); return k === "i18nextLng" ? stored : null; },
  },
  document: { documentElement: { getAttribute: (a) => (a === "data-lang" ? pageLang : null) } },
};
new Function("window", script)(window);
process.stdout.write(JSON.stringify(replaced));
"""


@pytest.mark.parametrize(
    "href, page_lang, stored, blocked, goes_to",
    [
        ("http://h/safegov/cases", "zh", "en", False, "http://h/safegov/cases?lang=en"),  # Airflow in English
        ("http://h/safegov/?unit=150102", "zh", "en-US", False, "http://h/safegov/?unit=150102&lang=en"),
        ("http://h/safegov/cases", "zh", "zh-CN", False, None),  # already Chinese
        ("http://h/safegov/cases", "zh", "de", False, "http://h/safegov/cases?lang=en"),  # no German: English
        ("http://h/safegov/cases?lang=zh", "zh", "en", False, None),  # the user chose here: kept
        ("http://h/safegov/cases", "zh", None, False, None),  # Airflow never set a language
        ("http://h/safegov/cases", "zh", "en", True, None),  # storage blocked
    ],
)
def test_the_page_follows_the_airflow_language(href, page_lang, stored, blocked, goes_to):
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is needed to run static/lang.js")  # a skip would hide an untested script
    out = subprocess.run(
        [node, "-e", HARNESS, str(LANG_SCRIPT), json.dumps([href, page_lang, stored, blocked])],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    assert json.loads(out.stdout) == goes_to


def test_pages_load_the_script_and_an_asked_language_sticks_to_the_links(as_user):
    page = as_user("region_office", "/cases?lang=zh").text
    assert '<script src="/static/lang.js"></script>' in page and 'data-lang="zh"' in page
    assert 'href="/blacklist?lang=zh"' in page  # the nav keeps the chosen Chinese
    plain = as_user("region_office", "/cases").text
    assert 'href="/blacklist"' in plain  # nothing asked: the script may follow Airflow
    script = as_user("region_office", "/static/lang.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert "i18nextLng" in script.text
