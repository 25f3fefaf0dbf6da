"""What a user sees when the data cannot be placed: `funnelcast run` stops before
publishing, names what is wrong and where, and the analysts' file stays as it was."""

from __future__ import annotations

import csv
import hashlib
from datetime import date, timedelta
from pathlib import Path

import pytest

from ingest.drops import find_drops
from tests.conftest import run_funnelcast, write_settings


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def next_drop(landing: Path) -> Path:
    last = date.fromisoformat(find_drops(landing)[-1])
    folder = landing / (last + timedelta(days=7)).isoformat()
    folder.mkdir()
    return folder


def a_rep(landing: Path) -> str:
    with (landing / find_drops(landing)[0] / "users.csv").open(encoding="utf-8") as f:
        return next(csv.DictReader(f))["id"]


def write_deals(folder: Path, rep: str, stages: list[tuple[str, str]]) -> None:
    with (folder / "opportunities.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "name", "date_entered", "date_modified", "assigned_user_id", "amount", "date_closed",
                    "sales_stage", "commit_stage"])
        for deal_id, stage in stages:
            w.writerow([deal_id, f"deal {deal_id}", "2026-11-25 09:00:00", "2026-11-25 09:00:00", rep, "5000",
                        "2026-12-20", stage, "include"])


def test_an_unknown_stage_stops_the_run_and_leaves_the_published_file_byte_for_byte(warehouse):
    folder, landing, config, home = warehouse
    published = folder / "warehouse" / "funnelcast.duckdb"
    before = sha256(published)
    write_deals(next_drop(landing), a_rep(landing), [("new1", "Won"), ("new2", "Won"), ("new3", "Verbal Yes")])
    proc = run_funnelcast("run", config=config, dagster_home=home)
    assert proc.returncode == 1
    output = proc.stdout + proc.stderr
    # Each unknown stage with its row count and an example, and the file to edit.
    assert "'Won' in opportunities.sales_stage: 2 row(s), e.g. opportunity new1" in output
    assert "'Verbal Yes' in opportunities.sales_stage: 1 row(s), e.g. opportunity new3" in output
    assert "ingest/presets/sugarcrm/stage_map.csv" in output and "funnelcast vocabularies --copy" in output
    assert "nothing was published" in output
    # The message is what a person reads first on stderr; the stack traces stay in the log file.
    assert proc.stderr.lstrip().startswith("weekly refresh FAILED at step vocabularies") and "Traceback" not in output
    assert sha256(published) == before

    # The documented remedy: add the stage to the user's own stage map, run again.
    vocab = folder / "vocabularies"
    vocab.mkdir()
    stage_map = (Path(__file__).parent.parent / "ingest/presets/sugarcrm/stage_map.csv").read_text(encoding="utf-8")
    (vocab / "stage_map.csv").write_text(stage_map + "Won,9,won,true,true\nVerbal Yes,8,later,false,false\n",
                                         encoding="utf-8")
    config = write_settings(folder, landing, vocabulary_dir=str(vocab))
    run_funnelcast("run", config=config, dagster_home=home, check=True)
    assert sha256(published) != before


def test_a_required_kind_no_drop_provides_fails_naming_it(tmp_path):
    drop = tmp_path / "landing" / "2026-01-05"
    drop.mkdir(parents=True)
    (drop / "leads.csv").write_text("id,date_entered,date_modified,status\nL1,2026-01-01,2026-01-01,New\n",
                                    encoding="utf-8")
    proc = run_funnelcast("run", config=write_settings(tmp_path, tmp_path / "landing"), dagster_home=tmp_path / "home")
    assert proc.returncode == 1
    output = proc.stdout + proc.stderr
    for kind in ("opportunities", "users"):
        assert f"no drop provides {kind}, a required kind" in output
    assert not (tmp_path / "warehouse" / "funnelcast.duckdb").exists()


def test_a_file_that_matches_no_kind_is_reported(warehouse):
    folder, landing, config, home = warehouse
    drop = next_drop(landing)
    (drop / "opportunity.csv").write_text("id\nx\n", encoding="utf-8")  # a typo of opportunities.csv
    (drop / "contacts.csv").write_text("id\nx\n", encoding="utf-8")
    proc = run_funnelcast("run", config=config, dagster_home=home)
    output = proc.stdout + proc.stderr
    assert f"{drop.name}/opportunity.csv" in output and f"{drop.name}/contacts.csv" in output
    assert "match no kind of mapping sugarcrm" in output


def test_a_mistake_in_the_mapping_settings_is_told_before_anything_runs(tmp_path):
    (tmp_path / "landing").mkdir()
    proc = run_funnelcast("run", config=write_settings(tmp_path, tmp_path / "landing", source="salesfroce"),
                          dagster_home=tmp_path / "home")
    assert proc.returncode == 2
    assert "source 'salesfroce' is not a preset" in proc.stderr and "salesforce" in proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    mapping = tmp_path / "mine.yaml"
    mapping.write_text("kinds:\n  leads:\n    columns:\n      id: {colum: Record Id}\n", encoding="utf-8")
    proc = run_funnelcast("run", config=write_settings(tmp_path, tmp_path / "landing", mapping=str(mapping)),
                          dagster_home=tmp_path / "home")
    assert proc.returncode == 2
    assert f"{mapping}: kinds.leads.columns.id: unknown key(s) colum" in proc.stderr


# --------------------------------------------------------------------------- a broken drop, end to end


def corrupt_gzip(text: str) -> bytes:
    import gzip

    data = bytearray(gzip.compress(text.encode("utf-8")))
    data[len(data) // 2] ^= 0x01  # one flipped bit: `gzip -t` fails on it
    return bytes(data)


USERS = "id,user_name,first_name,last_name,reports_to_id\n" + "".join(f"nu{i},new{i},N{i},L{i},\n" for i in range(40))


@pytest.mark.parametrize(
    ("case", "name", "content", "says"),
    [
        ("a flipped bit in a .csv.gz", "users.csv.gz", corrupt_gzip(USERS), ["users.csv.gz", "corrupt"]),
        ("a quote left open", "users.csv", (USERS.replace("nu35,new35", 'nu35,"new35')).encode(), ["users.csv", "line 37"]),
    ],
)
def test_an_unusable_file_fails_the_run_names_it_keeps_the_published_file_and_the_fixed_file_loads(
        warehouse, case, name, content, says):
    folder, landing, config, home = warehouse
    published = folder / "warehouse" / "funnelcast.duckdb"
    before = sha256(published)
    drop = next_drop(landing)
    (drop / name).write_bytes(content)
    proc = run_funnelcast("run", config=config, dagster_home=home)
    assert proc.returncode == 1, case
    first = proc.stderr.lstrip().splitlines()[0:3]
    assert all(s in "\n".join(first) for s in [drop.name, *says]), (case, first)
    assert sha256(published) == before
    # The documented remedy: an unusable file was never recorded as loaded, so a good copy replaces it.
    (drop / name).unlink()
    (drop / "users.csv").write_text(USERS, encoding="utf-8")
    run_funnelcast("run", config=config, dagster_home=home, check=True)
    import duckdb

    with duckdb.connect(str(folder / "warehouse" / "build.duckdb"), read_only=True) as con:
        assert con.execute("SELECT rows_read, rows_loaded, rows_rejected FROM raw.load_log WHERE drop_name = ?",
                           [drop.name]).fetchall() == [(40, 40, 0)]


def test_a_drop_folder_with_a_name_that_does_not_sort_by_time_is_not_loaded_until_renamed(warehouse):
    folder, landing, config, home = warehouse
    published = folder / "warehouse" / "funnelcast.duckdb"
    before = sha256(published)
    (landing / "latest").mkdir()
    (landing / "latest" / "users.csv").write_text(USERS, encoding="utf-8")
    proc = run_funnelcast("run", config=config, dagster_home=home)
    assert proc.returncode == 1 and "latest/" in proc.stderr and "drop name pattern" in proc.stderr
    assert sha256(published) == before
    # The remedy: a name that sorts by time.
    renamed = next_drop(landing)
    renamed.rmdir()
    (landing / "latest").rename(renamed)
    run_funnelcast("run", config=config, dagster_home=home, check=True)
    assert sha256(published) != before


def test_an_empty_audit_log_is_a_stage_history_a_missing_one_is_not(tmp_path):
    import duckdb

    from ingest.load import load_kind
    from ingest.vocabularies import missing_stage_history

    con = duckdb.connect()
    drop = tmp_path / "landing" / "2026-01-05"
    drop.mkdir(parents=True)
    load_kind(con, tmp_path / "landing", "opportunities_audit")
    assert missing_stage_history(con)
    # A SugarCRM export whose deals never changed yet: the audit file has its header only.
    (drop / "opportunities_audit.csv").write_text(
        "id,parent_id,date_created,field_name,before_value_string,after_value_string\n", encoding="utf-8")
    assert load_kind(con, tmp_path / "landing", "opportunities_audit").errors == []
    assert not missing_stage_history(con)
