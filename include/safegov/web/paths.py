"""Paths of files the dashboard serves from the data directory, kept inside it."""

from __future__ import annotations

from pathlib import Path


def safe_join(root: Path, *parts: str) -> Path | None:
    """``root/parts`` only if it stays inside ``root`` (no ``..`` escapes)."""
    root = root.resolve()
    target = root.joinpath(*parts).resolve()
    try:
        target.relative_to(root)
    except ValueError:
        return None
    return target
