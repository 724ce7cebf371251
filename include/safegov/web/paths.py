"""Paths of files the dashboard serves from the data directory, kept inside it."""

from __future__ import annotations

from pathlib import Path


def safe_join(root: Path, *parts: str) -> Path | None:
    """``root/parts`` only if it stays inside ``root`` (no ``..`` escapes) and the OS can name
    it: a NUL byte or a too-long name in a URL is no file of ``root``, not a server error."""
    root = root.resolve()
    try:
        target = root.joinpath(*parts).resolve()
        # resolve() is lenient; stat() is where the OS refuses a name (ENAMETOOLONG), and the
        # callers' is_file()/is_dir() would raise it.
        target.exists()
    except (OSError, ValueError):  # ValueError: an embedded NUL byte
        return None
    try:
        target.relative_to(root)
    except ValueError:
        return None
    return target
