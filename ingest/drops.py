"""Finding export drops in the landing folder.

A drop is a folder `<landing>/<drop>/` whose name matches the drop name pattern (the
setting drop_name_pattern; by default a date, 2026-11-23, optionally with a suffix such
as 2026-11-23T0600 or 2026-11-23_2), so that names sort by time.  Folders whose name
starts with `.` or `_` are ignored: an exporter can write `_incoming/` and rename it when
complete, so a half-written drop is never read.  Any other folder is *misnamed*: never
loaded, and reported (misnamed_drops) by the loader, so that a `latest/` folder neither
sorts after every date nor vanishes without a word.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from ingest.mapping import Mapping, identity_mapping

# A date, optionally followed by T, _, ., - or a space and any suffix: 2026-11-23,
# 2026-11-23T0600, 2026-11-23_2.  Such names sort by time (a suffix after its date).
DEFAULT_DROP_PATTERN = r"\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])([T_. -].*)?"


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


def kinds_of(file_name: str, mapping: Mapping | None = None) -> list[str]:
    """The contract kinds a file feeds under the mapping (its name patterns, case-insensitive)."""
    return (mapping or identity_mapping()).kinds_of(file_name)


def drop_name_pattern(pattern: str | None = None) -> str:
    """The pattern given (callers pass the setting), else the default one."""
    return DEFAULT_DROP_PATTERN if pattern is None else pattern


def _candidate_folders(landing: Path) -> list[str]:
    if not landing.is_dir():
        return []
    return sorted(p.name for p in landing.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))


def find_drops(landing: Path, pattern: str | None = None) -> list[str]:
    """Drop folder names in time order: the folders whose name matches the drop name pattern."""
    regex = re.compile(drop_name_pattern(pattern))
    return [name for name in _candidate_folders(landing) if regex.fullmatch(name)]


def misnamed_drops(landing: Path, pattern: str | None = None) -> list[str]:
    """Folders that are neither drops nor ignored (`.`/`_`): reported, never loaded."""
    regex = re.compile(drop_name_pattern(pattern))
    return [name for name in _candidate_folders(landing) if not regex.fullmatch(name)]


def find_files(landing: Path, kind: str, mapping: Mapping | None = None, pattern: str | None = None) -> list[DropFile]:
    """Every file of one kind across all drops, oldest drop first."""
    kind_mapping = (mapping or identity_mapping()).kinds[kind]
    found: list[DropFile] = []
    for drop in find_drops(landing, pattern):
        folder = landing / drop
        if not folder.is_dir():  # the drop vanished since it was listed
            continue
        for path in sorted(folder.iterdir()):
            if path.is_file() and kind_mapping.matches(path.name):
                found.append(DropFile(drop, kind, path))
    return found


def unknown_files(landing: Path, mapping: Mapping | None = None, pattern: str | None = None) -> list[Path]:
    """Files in drops that match no file kind of the mapping: reported, never loaded."""
    mapping = mapping or identity_mapping()
    out: list[Path] = []
    for drop in find_drops(landing, pattern):
        for path in sorted((landing / drop).iterdir()):
            if path.is_file() and not mapping.kinds_of(path.name):
                out.append(path)
    return out


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
