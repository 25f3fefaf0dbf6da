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


def rounded(con: duckdb.DuckDBPyConnection, relation: str) -> str:
    """A SELECT of `relation` with floats rounded to SIGNIFICANT_DIGITS and rows in a total order."""
    columns = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position",
        [MART_SCHEMA, relation],
    ).fetchall()
    exprs = []
    for name, data_type in columns:
        quoted = '"' + name.replace('"', '""') + '"'
        if data_type in ("DOUBLE", "FLOAT", "REAL") or data_type.startswith("DECIMAL"):
            # round to N significant digits: the exponent of the value decides the decimals kept.
            exprs.append(
                f"case when {quoted} is null or {quoted} = 0 or isinf({quoted}::double) or isnan({quoted}::double) "
                f"then {quoted}::double else round({quoted}::double, "
                f"{SIGNIFICANT_DIGITS - 1} - floor(log10(abs({quoted}::double)))::int) end as {quoted}"
            )
        else:
            exprs.append(quoted)
    order = ", ".join(str(i + 1) for i in range(len(columns)))
    return f'select {", ".join(exprs)} from {MART_SCHEMA}."{relation}" order by {order}'


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
            a, b = f"'{dataset_dir / name}.parquet'", f"'{other / name}.parquet'"
            cols_a = [c[0] for c in con.execute(f"describe select * from {a}").fetchall()]
            cols_b = [c[0] for c in con.execute(f"describe select * from {b}").fetchall()]
            rows = con.execute(f"select count(*) from {a}").fetchone()[0]
            missing_columns = [c for c in cols_a if c not in cols_b]
            if missing_columns:
                print(f"{dataset_dir.name}.{name}: columns missing after: {missing_columns}")
                differences += 1
                continue
            # A column the change adds is reported, not compared: every column that was there
            # before must keep its values.
            new_columns = [c for c in cols_b if c not in cols_a]
            listed = ", ".join('"' + c.replace('"', '""') + '"' for c in cols_a)
            a, b = f"(select {listed} from {a})", f"(select {listed} from {b})"
            only_a = con.execute(f"select * from (select * from {a} except all select * from {b}) limit 5").fetchall()
            only_b = con.execute(f"select * from (select * from {b} except all select * from {a}) limit 5").fetchall()
            if only_a or only_b:
                differences += 1
                print(f"{dataset_dir.name}.{name}: rows differ")
                for row in only_a:
                    print(f"  - {row}")
                for row in only_b:
                    print(f"  + {row}")
            else:
                added = f", new columns {new_columns}" if new_columns else ""
                print(f"{dataset_dir.name}.{name}: same ({rows} rows){added}")
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
