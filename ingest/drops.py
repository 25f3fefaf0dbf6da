"""Finding export drops in the landing folder.

A drop is a folder `<landing>/<drop>/` whose name sorts by time (2026-11-23).  Folders
whose name starts with `.` or `_` are ignored: an exporter can write `_incoming/` and
rename it when complete, so a half-written drop is never read.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from ingest.contract import FILE_SUFFIXES, KINDS


@dataclass(frozen=True)
class DropFile:
    drop: str
    kind: str
    path: Path

    @property
    def file_name(self) -> str:
        return self.path.name

    @property
    def label(self) -> str:
        """How messages name the file: drop/file."""
        return f"{self.drop}/{self.path.name}"

    @property
    def is_parquet(self) -> bool:
        return self.path.name.lower().endswith(".parquet")


def kind_of(file_name: str) -> str | None:
    """The contract kind a file name stands for (case-insensitive), or None."""
    lower = file_name.lower()
    for suffix in FILE_SUFFIXES:
        if lower.endswith(suffix):
            stem = lower[: -len(suffix)]
            return stem if stem in KINDS else None
    return None


def find_drops(landing: Path) -> list[str]:
    """Drop folder names in time order."""
    if not landing.is_dir():
        return []
    return sorted(
        p.name for p in landing.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))
    )


def find_files(landing: Path, kind: str) -> list[DropFile]:
    """Every file of one kind across all drops, oldest drop first."""
    found: list[DropFile] = []
    for drop in find_drops(landing):
        folder = landing / drop
        if not folder.is_dir():  # the drop vanished since it was listed
            continue
        for path in sorted(folder.iterdir()):
            if path.is_file() and kind_of(path.name) == kind:
                found.append(DropFile(drop, kind, path))
    return found


def unknown_files(landing: Path) -> list[Path]:
    """Files in drops that match no file kind: reported, never loaded."""
    out: list[Path] = []
    for drop in find_drops(landing):
        for path in sorted((landing / drop).iterdir()):
            if path.is_file() and kind_of(path.name) is None:
                out.append(path)
    return out


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
