"""What a person reads, checked: the walking tests of the mail templates and the dashboard
pages run every text through ``problems``.

Chinese output must not carry an English word (proper nouns of the allow-list aside, and a
code in brackets or in ``<code>`` after its name), a UTC time or an ISO date, an empty value
(``应完成：次``, ``原因：。``, ``None``), or a bare code where the code's name exists.
"""

from __future__ import annotations

import html as htmllib
import re

# Proper nouns and file formats a Chinese reader meets as they are.
ALLOWED = {
    "safegov",
    "SendGrid",
    "Airflow",
    "CSV",
    "XLSX",
    "Excel",
    "JSON",
    "Lines",
    "DAG",
    "API",
    "Data",
    "Docs",
    "WPS",
    "PDF",
    "HTML",
    "GET",
    "YYYY",
    "MM",
    "DD",
    "ms",
    "chinesecalendar",
    "Clear",
    "English",
    "Markdown",
}
_TAG = re.compile(r"<[^>]+>")
# Not prose: code spans, elements marked translate="no" (a login name), scripts, styles.
_CODE = re.compile(
    r"<code>.*?</code>|<(\w+)[^>]*translate=\"no\"[^>]*>.*?</\1>|<script.*?</script>|<style.*?</style>|<title>.*?</title>",
    re.S,
)
_BRACKETED_ASCII = re.compile(r"[（(][\x20-\x7e]*[）)]")
# An identifier (ACC-2, sc-meet-local) is not a word: letters followed by "-" or a digit are left out.
_WORD = re.compile(r"(?<![A-Za-z0-9_./:@-])[A-Za-z][A-Za-z_]{1,}(?![A-Za-z0-9_@-])")
_BACKTICKS = re.compile(r"`[^`\n]*`")
_UTC = re.compile(r"\+00:00|\bUTC\b|\d{2}:\d{2}:\d{2}(?:\.\d+)?Z|T\d{2}:\d{2}")
_ISO_DATE = re.compile(r"(?<![\w-])\d{4}-\d{2}-\d{2}(?![\w-])")
_EMPTY = re.compile(r"[：:][ \t]*[；;。，,]|[：:]次|（）|\(\)|\bNone\b|\bnull\b|\bundefined\b", re.M)


def visible_text(page: str) -> str:
    """The text of an HTML page a reader sees (``<code>`` spans, scripts and styles removed)."""
    return htmllib.unescape(_TAG.sub(" ", _CODE.sub(" ", page)))


def problems(text: str, lang: str, *, codes: dict[str, str] | None = None, html: bool = False) -> list[str]:
    """What is wrong with ``text`` for a reader of ``lang``; ``codes`` maps codes that have a
    name to that name (a code may stand in brackets or ``<code>`` after its name, never alone)."""
    shown = _BACKTICKS.sub(" ", visible_text(text) if html else text)
    found: list[str] = []
    found += [f"UTC time {m.group(0)!r}" for m in _UTC.finditer(shown)]
    found += [f"empty value near {shown[max(0, m.start() - 12) : m.end() + 4]!r}" for m in _EMPTY.finditer(shown)]
    if lang == "zh":
        plain = _BRACKETED_ASCII.sub(" ", shown)
        found += [f"ISO date {m.group(0)!r}" for m in _ISO_DATE.finditer(plain)]
        words = {m.group(0) for m in _WORD.finditer(plain)} - ALLOWED
        found += [f"English word {w!r}" for w in sorted(words)]
    for code, name in (codes or {}).items():
        bare = re.compile(rf"(?<![\w（(-]){re.escape(code)}(?![\w）)-])")
        unbracketed = _BRACKETED_ASCII.sub(" ", shown)
        for m in bare.finditer(unbracketed):
            near = unbracketed[max(0, m.start() - 10) : m.end() + 10]
            found.append(f"bare code {code!r} (name {name!r}) near {near!r}")
    return found
