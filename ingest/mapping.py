"""Mappings: how another CRM's export becomes the export contract, as data (YAML).

A mapping names, per contract kind, which files of a drop hold it (name patterns,
case-insensitive), how each contract column is made from the file's columns
(renames, constants, keys built from other columns, value maps, parsers for dates,
money, percentages and booleans), whether the kind's files are full snapshots, and
how several rows are derived from one (``unpivot``: e.g. one stage-history row per
"Date entered <stage>" column).  ingest/load.py turns a kind's mapping into DuckDB SQL
over the file's text columns; no row passes through Python.

The presets (sugarcrm, salesforce, hubspot, zoho) are such files in ingest/presets/;
a user's own is named by the `mapping` setting.  docs/mappings.md is the reference.
Every key is checked when the file is read: an unknown key, a kind that is not in the
contract or a column the contract does not have is an error naming the file and key.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ingest.contract import FILE_SUFFIXES, KINDS, VOCABULARY_BY_NAME

PRESETS_DIR = Path(__file__).resolve().parent / "presets"
MAPPING_FILE = "mapping.yaml"

# What a column spec may say (docs/mappings.md, "Columns").
COLUMN_KEYS = {
    "column",  # the source column, or a list of them: the first non-empty wins (names the file lacks are skipped)
    "optional",  # true: a file with none of the columns gives null instead of an error
    "extract",  # a regular expression: its first group (or the whole match) is the value
    "value",  # a constant
    "template",  # text built from columns: "{Record ID}-{Stage}"
    "list_separator",  # the cell holds a list: take its first element
    "values",  # value map {export value: contract value}, matched case-insensitively
    "default",  # what an empty value, or one missing from `values`, becomes (else it is kept as is)
    "present",  # the value when the source is non-empty ...
    "absent",  # ... and when it is empty
    "formats",  # strptime formats for a date or timestamp, tried in order
    "timezone",  # the time zone of naive timestamps (default UTC)
    "money",  # "$22,700.00", "$115.00K", "EUR 1.2M": symbols, separators and K/M/B suffixes
    "decimal_mark",  # "." (default) or ",": with ",", "." and spaces separate thousands
    "percent",  # "45%" or "45": the number; with fraction: true, 0.45 means 45
    "fraction",
    "true_values",  # booleans: the spellings of true and false
    "false_values",
}
KIND_KEYS = {"files", "snapshot", "columns", "lookups", "unpivot", "defaults", "description"}
LOOKUP_KEYS = {"name", "files", "key", "on"}
MAPPING_KEYS = {"name", "description", "vocabularies", "kinds", "defaults", "sources_of_column_names"}
# Parser defaults per contract type, mapping-wide or per kind.
DEFAULT_KEYS = {"timestamp", "date", "decimal", "integer", "bool"}


class MappingError(ValueError):
    """A mapping file that cannot be used: the message names the file and the key."""


@dataclass(frozen=True)
class ColumnSpec:
    """How one contract column is made; `where` names it in messages (kinds.leads.columns.id)."""

    where: str
    columns: tuple[str, ...] = ()
    value: str | None = None
    has_value: bool = False
    template: str | None = None
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def source_columns(self) -> tuple[str, ...]:
        """Every file column the spec reads."""
        if self.template is not None:
            return tuple(template_fields(self.template))
        return self.columns

    @property
    def is_identity_of(self) -> str | None:
        """The column's own name when the spec only renames (no parser, no map)."""
        if len(self.columns) == 1 and not self.options and self.template is None and not self.has_value:
            return self.columns[0]
        return None


@dataclass(frozen=True)
class Lookup:
    """A second file of the same drop joined on a key (one row per key), read as `name.column`."""

    name: str
    patterns: tuple[str, ...]
    key: str
    on: str
    where: str


@dataclass(frozen=True)
class KindMapping:
    kind: str
    patterns: tuple[str, ...]
    columns: dict[str, ColumnSpec]
    identity: bool  # no column, lookup or unpivot given: the file is in the contract's shape
    snapshot: bool = False
    lookups: tuple[Lookup, ...] = ()
    unpivot: tuple[dict[str, ColumnSpec], ...] = ()
    defaults: dict[str, dict[str, Any]] = field(default_factory=dict)

    def matches(self, file_name: str) -> bool:
        lower = file_name.lower()
        return any(fnmatch.fnmatchcase(lower, p.lower()) for p in self.patterns)

    def parser_options(self, spec: ColumnSpec, contract_type: str) -> dict[str, Any]:
        """The column's own parser options over the kind's and the mapping's defaults for its type."""
        return {**self.defaults.get(contract_type, {}), **spec.options}


@dataclass(frozen=True)
class Mapping:
    name: str
    path: Path | None  # None for the built-in identity
    kinds: dict[str, KindMapping]
    vocabularies: dict[str, Path]

    @property
    def label(self) -> str:
        return str(self.path) if self.path else f"preset {self.name}"

    def kinds_of(self, file_name: str) -> list[str]:
        return [k for k, m in self.kinds.items() if m.matches(file_name)]


def template_fields(template: str) -> list[str]:
    """The column names in a template such as "{Record ID}-{Stage}"."""
    out, i = [], 0
    while True:
        start = template.find("{", i)
        if start < 0:
            return out
        end = template.find("}", start)
        if end < 0:
            raise ValueError(f"unclosed {{ in template {template!r}")
        out.append(template[start + 1 : end])
        i = end + 1


class _Yaml12Loader(yaml.SafeLoader):
    """YAML as a person reads it: only true/false are booleans.  PyYAML's YAML 1.1 turns
    Yes, No, On and Off into booleans, so `true_values: [Yes]` or a lookup's `on:` key
    would lose their spelling."""


_Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def preset_names() -> list[str]:
    return sorted(p.name for p in PRESETS_DIR.iterdir() if (p / MAPPING_FILE).exists())


def load_preset(name: str) -> Mapping:
    path = PRESETS_DIR / name / MAPPING_FILE
    if not path.exists():
        raise MappingError(
            f"source {name!r} is not a preset; the presets are {', '.join(preset_names())}. "
            "For another CRM write a mapping file and set `mapping: path/to/it.yaml` (docs/mappings.md)."
        )
    return load_mapping(path)


def load_mapping(path: Path | str) -> Mapping:
    path = Path(path).resolve()
    if not path.exists():
        raise MappingError(f"mapping file {path} does not exist (named by the `mapping` setting)")
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_Yaml12Loader) or {}
    except yaml.YAMLError as exc:
        raise MappingError(f"{path}: not valid YAML: {exc}") from exc
    return parse_mapping(raw, path)


def _fail(path: Path | None, where: str, message: str) -> MappingError:
    return MappingError(f"{path or 'mapping'}: {where}: {message}")


def _unknown(path: Path | None, where: str, given: dict, allowed: set[str]) -> None:
    bad = sorted(str(k) for k in set(given) - allowed)
    if bad:
        raise _fail(path, where, f"unknown key(s) {', '.join(bad)}; allowed: {', '.join(sorted(allowed))}")


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def scalar_text(value: Any) -> str | None:
    """A YAML scalar of a mapping file as the text a CSV field would hold (true/false for booleans)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def parse_column_spec(spec: Any, where: str, path: Path | None) -> ColumnSpec:
    if isinstance(spec, str):
        return ColumnSpec(where, columns=(spec,))
    if not isinstance(spec, dict):
        raise _fail(path, where, f"expected a column name or a mapping of options, got {spec!r}")
    _unknown(path, where, spec, COLUMN_KEYS)
    sources = [k for k in ("column", "value", "template") if k in spec]
    if len(sources) > 1:
        raise _fail(path, where, f"give one of column, value, template (got {', '.join(sources)})")
    options = {k: v for k, v in spec.items() if k not in ("column", "value", "template")}
    if not sources and not options:
        raise _fail(path, where, "empty: give column, value or template")
    if "values" in options:
        if not isinstance(options["values"], dict):
            raise _fail(path, f"{where}.values", "expected a map of export value: contract value")
        options["values"] = {str(scalar_text(k)): scalar_text(v) for k, v in options["values"].items()}
    for key in ("formats", "true_values", "false_values"):
        if key in options:
            options[key] = [str(scalar_text(v)) for v in _as_list(options[key])]
    if "decimal_mark" in options and options["decimal_mark"] not in (".", ","):
        raise _fail(path, f"{where}.decimal_mark", f"must be '.' or ',', got {options['decimal_mark']!r}")
    if "template" in spec:
        try:
            fields_ = template_fields(str(spec["template"]))
        except ValueError as exc:
            raise _fail(path, f"{where}.template", str(exc)) from exc
        if not fields_:
            raise _fail(path, f"{where}.template", "names no column: write columns as {Column Name}")
        return ColumnSpec(where, template=str(spec["template"]), options=options)
    if "value" in spec:
        return ColumnSpec(where, value=scalar_text(spec["value"]), has_value=True, options=options)
    columns = tuple(str(c) for c in _as_list(spec.get("column")))
    return ColumnSpec(where, columns=columns, options=options)


def _parse_columns(raw: Any, kind: str, where: str, path: Path | None) -> dict[str, ColumnSpec]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise _fail(path, where, "expected a map of contract column: spec")
    contract = KINDS[kind]
    out = {}
    for name, spec in raw.items():
        if name not in contract.column_names:
            raise _fail(path, f"{where}.{name}", f"{kind} has no contract column {name!r}; its columns: "
                        f"{', '.join(contract.column_names)}")
        out[name] = parse_column_spec(spec, f"{where}.{name}", path)
    return out


def _parse_defaults(raw: Any, where: str, path: Path | None) -> dict[str, dict[str, Any]]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise _fail(path, where, "expected a map of contract type: parser options")
    _unknown(path, where, raw, DEFAULT_KEYS)
    out = {}
    for type_name, options in raw.items():
        spec = parse_column_spec(options, f"{where}.{type_name}", path)
        if spec.columns or spec.has_value or spec.template:
            raise _fail(path, f"{where}.{type_name}", "defaults hold parser options only (no column, value, template)")
        out[type_name] = spec.options
    return out


def default_patterns(kind: str) -> tuple[str, ...]:
    return tuple(f"{kind}{suffix}" for suffix in FILE_SUFFIXES)


def parse_mapping(raw: Any, path: Path | None) -> Mapping:
    if not isinstance(raw, dict):
        raise _fail(path, "top level", "expected a mapping with name and kinds")
    _unknown(path, "top level", raw, MAPPING_KEYS)
    name = str(raw.get("name") or (path.stem if path else "mapping"))
    mapping_defaults = _parse_defaults(raw.get("defaults"), "defaults", path)
    kinds_raw = raw.get("kinds")
    if not isinstance(kinds_raw, dict) or not kinds_raw:
        raise _fail(path, "kinds", "expected a map of contract kind: how its files are read")
    kinds: dict[str, KindMapping] = {}
    for kind, body in kinds_raw.items():
        where = f"kinds.{kind}"
        if kind not in KINDS:
            raise _fail(path, where, f"not a kind of the export contract; the kinds: {', '.join(KINDS)}")
        body = body or {}
        if not isinstance(body, dict):
            raise _fail(path, where, "expected files, columns, ...")
        _unknown(path, where, body, KIND_KEYS)
        patterns = tuple(str(p) for p in _as_list(body.get("files"))) or default_patterns(kind)
        columns = _parse_columns(body.get("columns"), kind, f"{where}.columns", path)
        lookups = []
        for i, lk in enumerate(_as_list(body.get("lookups"))):
            lwhere = f"{where}.lookups[{i}]"
            if not isinstance(lk, dict):
                raise _fail(path, lwhere, "expected name, files, key, on")
            # YAML 1.1 reads a bare `on:` key as the boolean true.
            lk = {("on" if k is True else k): v for k, v in lk.items()}
            _unknown(path, lwhere, lk, LOOKUP_KEYS)
            missing = [k for k in sorted(LOOKUP_KEYS) if not lk.get(k)]
            if missing:
                raise _fail(path, lwhere, f"missing {', '.join(missing)}")
            lookups.append(Lookup(str(lk["name"]), tuple(str(p) for p in _as_list(lk["files"])),
                                  str(lk["key"]), str(lk["on"]), lwhere))
        unpivot = tuple(
            _parse_columns(entry, kind, f"{where}.unpivot[{i}]", path)
            for i, entry in enumerate(_as_list(body.get("unpivot")))
        )
        if body.get("unpivot") is not None and not unpivot:
            raise _fail(path, f"{where}.unpivot", "expected a list of column maps, one per derived row")
        defaults = {**mapping_defaults}
        for type_name, options in _parse_defaults(body.get("defaults"), f"{where}.defaults", path).items():
            defaults[type_name] = {**defaults.get(type_name, {}), **options}
        identity = not columns and not lookups and not unpivot
        kinds[kind] = KindMapping(
            kind, patterns, columns, identity, bool(body.get("snapshot", False)), tuple(lookups), unpivot, defaults,
        )
    # A kind the mapping does not name is read in the contract's own shape (currency
    # rates, targets and the marketing files are usually written for Funnelcast directly).
    for kind in KINDS:
        if kind not in kinds_raw:
            kinds[kind] = KindMapping(kind, default_patterns(kind), {}, True, defaults=mapping_defaults)
    vocabularies: dict[str, Path] = {}
    vocab_raw = raw.get("vocabularies") or {}
    if not isinstance(vocab_raw, dict):
        raise _fail(path, "vocabularies", "expected a map of vocabulary: file")
    for vname, vpath in vocab_raw.items():
        if vname not in VOCABULARY_BY_NAME:
            raise _fail(path, f"vocabularies.{vname}", f"not a vocabulary; the vocabularies: {', '.join(VOCABULARY_BY_NAME)}")
        base = path.parent if path else Path.cwd()
        vocabularies[vname] = (base / str(vpath)).resolve()
    if path is not None:  # files beside the mapping named like the vocabulary need not be listed
        for vname in VOCABULARY_BY_NAME:
            beside = path.parent / f"{vname}.csv"
            if vname not in vocabularies and beside.exists():
                vocabularies[vname] = beside
    return Mapping(name, path, kinds, vocabularies)


def identity_mapping() -> Mapping:
    """The contract itself: every kind from <kind>.csv|.csv.gz|.parquet, columns by name."""
    return parse_mapping({"name": "contract", "kinds": {k: {} for k in KINDS}}, None)
