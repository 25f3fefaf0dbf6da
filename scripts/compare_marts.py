"""Prove a refactor changed the shape of the code, not the numbers: snapshot every mart, then compare.

    .venv/bin/python scripts/compare_marts.py snapshot OUT_DIR [--dataset NAME ...]
    .venv/bin/python scripts/compare_marts.py compare BEFORE_DIR AFTER_DIR

`snapshot` builds each data set from scratch with the real loader and a real `dbt build` (the
generated `medium` drops, and the hand-made drop sets the mart tests use, with those tests' vars),
and writes every relation of the `marts` schema to OUT_DIR/<dataset>/<relation>.parquet: rows sorted
on every column, floating-point values rounded to 9 significant digits so that a change in the
order of a sum does not count as a change of value.

`compare` says, per data set and relation, whether the rows and values are the same, and shows
the first differing rows when they are not; it exits 1 on any difference.  A column the change
adds is named, not compared; a column it removes is a difference.

`compare_relation` is the one comparison of two relations (columns, type families, rows with floats
to 9 significant digits): `compare` uses it, and so do tests/test_incremental_chain.py (through
`compare`) and tests/test_spark.py (DuckDB's marts against Spark's).
"""

from __future__ import annotations

import argparse
import importlib
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

SIGNIFICANT_DIGITS = 9
MART_SCHEMA = "marts"


@dataclass(frozen=True)
class HandMade:
    """A hand-made drop set (a module of tests/drops): its `drops` attribute, built with `dbt_vars`."""

    module: str
    drops: str = "HANDMADE"
    dbt_vars: dict[str, Any] = field(default_factory=dict)
    vars_attr: str | None = None  # the module attribute holding the vars, when the tests name one


HAND_MADE = {
    "funnel": HandMade("tests.drops.funnel", vars_attr="HANDMADE_VARS"),
    "pipeline": HandMade("tests.drops.pipeline"),
    "forecast": HandMade("tests.drops.forecast"),
    "forecast_february": HandMade("tests.drops.forecast", vars_attr="FEBRUARY_VARS"),
    "marketing": HandMade("tests.drops.marketing", vars_attr="HANDMADE_VARS"),
    "staging": HandMade("tests.drops.staging"),
}
DATASETS = ["medium", *HAND_MADE]


def build(dataset: str, work: Path) -> Path:
    """A warehouse of `dataset` built from scratch in `work`; returns the DuckDB file."""
    from tests.warehouse import dbt_build, load_landing, write_drop_set

    landing, db = work / "landing", work / "build.duckdb"
    if dataset == "medium":
        funnelcast = Path(sys.executable).parent / "funnelcast"
        subprocess.run([str(funnelcast), "generate", "--out", str(landing), "--scale", "medium", "--quiet"], check=True)
        load_landing(landing, db)
        dbt_build(db, work)
        return db
    spec = HAND_MADE[dataset]
    module = importlib.import_module(spec.module)
    dbt_vars = dict(getattr(module, spec.vars_attr)) if spec.vars_attr else {}
    dbt_vars.update(spec.dbt_vars)
    write_drop_set(landing, getattr(module, spec.drops))
    load_landing(landing, db)
    dbt_build(db, work, dbt_vars=dbt_vars or None)
    return db


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def is_float_type(data_type: str) -> bool:
    """A column compared to SIGNIFICANT_DIGITS: floating point or decimal (DuckDB's type names)."""
    return data_type in ("DOUBLE", "FLOAT", "REAL") or data_type.startswith("DECIMAL")


def rounded_value(quoted: str) -> str:
    """`quoted` as a double rounded to SIGNIFICANT_DIGITS: the exponent of the value decides the decimals kept."""
    return (f"case when {quoted} is null or {quoted} = 0 or isinf({quoted}::double) or isnan({quoted}::double) "
            f"then {quoted}::double else round({quoted}::double, "
            f"{SIGNIFICANT_DIGITS - 1} - floor(log10(abs({quoted}::double)))::int) end")


def columns_of(con: duckdb.DuckDBPyConnection, source: str) -> list[tuple[str, str]]:
    """(name, DuckDB type) of each column of `source` (a relation, or a table function such as read_parquet)."""
    return [(name, data_type) for name, data_type, *_ in con.execute(f"describe select * from {source}").fetchall()]


def rounded_columns(columns: list[tuple[str, str]], also_round: frozenset[str] = frozenset()) -> list[str]:
    """The select list of `columns`, floats (and the columns `also_round` names) rounded, each keeping its name."""
    return [f"{rounded_value(quote(name))} as {quote(name)}" if is_float_type(data_type) or name in also_round
            else quote(name) for name, data_type in columns]


def rounded(con: duckdb.DuckDBPyConnection, relation: str) -> str:
    """A SELECT of marts.`relation` with floats rounded to SIGNIFICANT_DIGITS and rows in a total order."""
    source = f"{MART_SCHEMA}.{quote(relation)}"
    columns = columns_of(con, source)
    order = ", ".join(str(i + 1) for i in range(len(columns)))
    return f'select {", ".join(rounded_columns(columns))} from {source} order by {order}'


# Type families: a column may change width (INTEGER to BIGINT, DECIMAL(18,2) to DOUBLE) and keep its values;
# a change of family (a date become a timestamp, a number become text) is a difference.
TYPE_FAMILIES = (
    ("number", ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
                "UBIGINT", "UHUGEINT", "DOUBLE", "FLOAT", "REAL", "DECIMAL")),
    ("timestamp", ("TIMESTAMP",)),
    ("date", ("DATE",)),
    ("text", ("VARCHAR",)),
)


def type_family(data_type: str) -> str:
    for family, prefixes in TYPE_FAMILIES:
        if data_type.startswith(prefixes):
            return family
    return data_type


@dataclass
class RelationDifference:
    """How relation `b` differs from relation `a` (compare_relation)."""

    rows_a: int
    rows_b: int
    missing_columns: list[str]  # in a, not in b
    new_columns: list[str]  # in b, not in a
    type_changes: list[str]  # "column: type in a -> type in b", of another family
    only_a: list[tuple]  # the first rows of a (rounded) that b lacks, and their columns
    only_b: list[tuple]
    columns: list[str]

    @property
    def same(self) -> bool:
        """Same columns, same rows and values (floats to SIGNIFICANT_DIGITS)."""
        return not (self.missing_columns or self.new_columns or self.type_changes or self.only_a or self.only_b)

    def describe(self, label: str, a: str = "before", b: str = "after") -> str:
        """What differs, with the first differing rows of each side (`a`: -, `b`: +), for a message."""
        lines = []
        if self.missing_columns:
            lines.append(f"{label}: columns missing {b}: {self.missing_columns}")
        if self.new_columns:
            lines.append(f"{label}: new columns {b}: {self.new_columns}")
        lines += [f"{label}: type changed ({a} -> {b}): {change}" for change in self.type_changes]
        if self.only_a or self.only_b:
            lines.append(f"{label}: rows differ ({self.rows_a} rows {a}, {self.rows_b} {b}); "
                         f"columns ({', '.join(self.columns)}); the first rows only {a} (-) and only {b} (+):")
            lines += [f"  - {row}" for row in self.only_a]
            lines += [f"  + {row}" for row in self.only_b]
            if self.only_a and self.only_b:  # both sorted: the first two are often the same row, changed
                changed = [c for c, x, y in zip(self.columns, self.only_a[0], self.only_b[0]) if x != y]
                lines.append(f"  the first - and + rows differ in: {', '.join(changed)}")
        return "\n".join(lines) or f"{label}: same ({self.rows_a} rows)"


def compare_relation(con: duckdb.DuckDBPyConnection, a: str, b: str, shown: int = 5) -> RelationDifference:
    """Compare relation `b` with relation `a` (any FROM item of `con`): their columns by name, the family of each
    column's type, and their rows as multisets with floats rounded to SIGNIFICANT_DIGITS on both sides (where
    either side holds a float); two floats that round one unit of the last digit apart, on either side of a
    rounding boundary, agree.  The rows are compared on a's columns that b also has; up to `shown` rows of
    each side that the other lacks are kept, in order."""
    cols_a, cols_b = columns_of(con, a), columns_of(con, b)
    types_b = dict(cols_b)
    common = [(name, data_type) for name, data_type in cols_a if name in types_b]
    floats = frozenset(name for name, data_type in common if is_float_type(data_type) or is_float_type(types_b[name]))
    listed = ", ".join(rounded_columns(common, floats))
    side_a, side_b = f"(select {listed} from {a})", f"(select {listed} from {b})"

    names = [quote(name) for name, _ in common]
    keys = [quote(name) for name, _ in common if name not in floats]
    rounded_apart = [quote(name) for name, _ in common if name in floats]

    def paired(x: str) -> str:
        # The rows one side lacks, numbered within their non-float columns in the order of their floats.
        order = ", ".join(rounded_apart) or "1"
        partition = f"partition by {', '.join(keys)}" if keys else ""
        return f"select *, row_number() over ({partition} order by {order}) as _pair from ({x})"

    def within_last_digit(column: str) -> str:
        # Two values either side of a rounding boundary (19.994218749999998 and 19.99421875) round one
        # unit of the last significant digit apart: they agree to SIGNIFICANT_DIGITS all the same.
        x, y = f"x.{column}", f"y.{column}"
        return (f"({x} is not distinct from {y} or abs({x} - {y}) <= 1.000001 * "
                f"pow(10, floor(log10(greatest(abs({x}), abs({y})))) - {SIGNIFICANT_DIGITS - 1}))")

    def only(x: str, y: str) -> list[tuple]:
        """Up to `shown` rows of x that y lacks: not in y once rounded, nor one last digit from a row of y."""
        lacking_x, lacking_y = f"({x} except all {y})", f"({y} except all {x})"
        conditions = [f"x.{k} is not distinct from y.{k}" for k in keys] + ["x._pair = y._pair"]
        conditions += [within_last_digit(column) for column in rounded_apart]
        return con.execute(
            f"select {', '.join('x.' + n for n in names)} from ({paired(lacking_x)}) as x "
            f"where not exists (select 1 from ({paired(lacking_y)}) as y where {' and '.join(conditions)}) "
            f"order by all limit {shown}").fetchall()

    return RelationDifference(
        rows_a=con.execute(f"select count(*) from {a}").fetchone()[0],
        rows_b=con.execute(f"select count(*) from {b}").fetchone()[0],
        missing_columns=[name for name, _ in cols_a if name not in types_b],
        new_columns=[name for name, _ in cols_b if name not in dict(cols_a)],
        type_changes=[f"{name}: {data_type} -> {types_b[name]}" for name, data_type in common
                      if type_family(data_type) != type_family(types_b[name])],
        only_a=only(side_a, side_b) if common else [],
        only_b=only(side_b, side_a) if common else [],
        columns=[name for name, _ in common],
    )


def snapshot_marts(db: Path, target: Path, skip: tuple[str, ...] = ()) -> list[str]:
    """Every relation of the `marts` schema of `db` but `skip`, rounded and sorted, as
    target/<relation>.parquet; returns the relations written."""
    target.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(db), read_only=True) as con:
        relations = [r for (r,) in con.execute(
            "select table_name from information_schema.tables where table_schema = ? order by 1",
            [MART_SCHEMA]).fetchall() if r not in skip]
        for relation in relations:
            con.execute(f"copy ({rounded(con, relation)}) to '{target / relation}.parquet' (format parquet)")
    return relations


def snapshot(out: Path, datasets: list[str]) -> None:
    for dataset in datasets:
        target = out / dataset
        shutil.rmtree(target, ignore_errors=True)
        with tempfile.TemporaryDirectory(prefix=f"compare_{dataset}_") as tmp:
            relations = snapshot_marts(build(dataset, Path(tmp)), target)
        print(f"{dataset}: {len(relations)} relations -> {target}")


def compare(before: Path, after: Path) -> int:
    con = duckdb.connect()
    differences = 0
    for dataset_dir in sorted(p for p in before.iterdir() if p.is_dir()):
        other = after / dataset_dir.name
        names_before = {p.stem for p in dataset_dir.glob("*.parquet")}
        names_after = {p.stem for p in other.glob("*.parquet")} if other.is_dir() else set()
        for missing in sorted(names_before - names_after):
            print(f"{dataset_dir.name}.{missing}: missing after")
            differences += 1
        for added in sorted(names_after - names_before):
            print(f"{dataset_dir.name}.{added}: new after (not compared)")
        for name in sorted(names_before & names_after):
            diff = compare_relation(con, f"'{dataset_dir / name}.parquet'", f"'{other / name}.parquet'")
            label = f"{dataset_dir.name}.{name}"
            # A column the change adds is reported, not compared: every column that was there
            # before must keep its values.
            if diff.missing_columns or diff.type_changes or diff.only_a or diff.only_b:
                differences += 1
                print(diff.describe(label))
            else:
                added = f", new columns {diff.new_columns}" if diff.new_columns else ""
                print(f"{label}: same ({diff.rows_a} rows){added}")
    print("no differences" if not differences else f"{differences} relations differ")
    return 1 if differences else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    snap = sub.add_parser("snapshot")
    snap.add_argument("out", type=Path)
    snap.add_argument("--dataset", action="append", choices=DATASETS, help="default: all")
    cmp_ = sub.add_parser("compare")
    cmp_.add_argument("before", type=Path)
    cmp_.add_argument("after", type=Path)
    args = parser.parse_args()
    if args.command == "snapshot":
        snapshot(args.out, args.dataset or DATASETS)
    else:
        sys.exit(compare(args.before, args.after))


if __name__ == "__main__":
    main()
