"""The sample generator: deterministic, contract-shaped, and a believable company.

Read back with the csv module (independently of the loader), each test checks a fact that
the marts built on the generated data rely on.
"""

from __future__ import annotations

import csv
import filecmp
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

import sample_exports as gen
from ingest.contract import KINDS
from sample_exports import FILE_KINDS
from sample_exports import AS_OF, SCALES, generate

STAGE_ORDER = {name: i for i, (name, _) in enumerate(gen.STAGES)}
WON, LOST = "Closed Won", "Closed Lost"
AUDITED = ("sales_stage", "amount", "date_closed", "commit_stage", "assigned_user_id", "probability")


class Drops:
    """Every row of a generated drop set, by kind, each with the drop it came from."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.names = sorted(p.name for p in root.iterdir() if p.is_dir())
        self.rows: dict[str, list[dict[str, str]]] = defaultdict(list)
        self.headers: dict[tuple[str, str], list[str]] = {}
        for drop in self.names:
            for path in sorted((root / drop).glob("*.csv")):
                with open(path, encoding="utf-8", newline="") as f:
                    reader = csv.reader(f)
                    header = next(reader)
                    self.headers[(drop, path.stem)] = header
                    for values in reader:
                        self.rows[path.stem].append({**dict(zip(header, values)), "_drop": drop})

    def latest(self, kind: str) -> dict[str, dict[str, str]]:
        """The current version of each record: the latest date_modified wins."""
        out: dict[str, dict[str, str]] = {}
        for row in self.rows[kind]:
            seen = out.get(row["id"])
            if seen is None or row["date_modified"] > seen["date_modified"]:
                out[row["id"]] = row
        return out

    def window(self, drop: str) -> tuple[str, str]:
        """[from, to) of what a drop holds, as timestamps: the full drop starts at the dawn of time."""
        i = self.names.index(drop)
        return ("0000" if i == 0 else f"{self.names[i - 1]} 00:00:00"), f"{drop} 00:00:00"


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Drops:
    out = tmp_path_factory.mktemp("small")
    generate(out, scale="small", seed=42)
    return Drops(out)


@pytest.fixture(scope="module")
def medium(tmp_path_factory) -> Drops:
    """Enough deals for rates to mean something (~170k rows, a couple of seconds)."""
    out = tmp_path_factory.mktemp("medium")
    generate(out, scale="medium", seed=42, weeks=4)
    return Drops(out)


# --------------------------------------------------------------------------- shape


def test_same_seed_gives_identical_bytes_and_another_seed_differs(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate(a, seed=3)
    generate(b, seed=3)
    generate(c, seed=4)
    files = sorted(p.relative_to(a) for p in a.rglob("*.csv"))
    assert files == sorted(p.relative_to(b) for p in b.rglob("*.csv"))
    match, mismatch, errors = filecmp.cmpfiles(a, b, [str(f) for f in files], shallow=False)
    assert not mismatch and not errors and len(match) == len(files)
    assert (a / "2026-08-31" / "leads.csv").read_bytes() != (c / "2026-08-31" / "leads.csv").read_bytes()


def test_buffer_size_does_not_change_the_files(tmp_path, monkeypatch):
    """Streaming in tiny chunks (as large does in big ones) writes the same bytes."""
    generate(tmp_path / "big", seed=5)
    monkeypatch.setattr("sample_exports.generate_drops.FLUSH_ROWS", 7)
    generate(tmp_path / "tiny", seed=5)
    files = [str(p.relative_to(tmp_path / "big")) for p in (tmp_path / "big").rglob("*.csv")]
    _, mismatch, errors = filecmp.cmpfiles(tmp_path / "big", tmp_path / "tiny", files, shallow=False)
    assert not mismatch and not errors


def test_drops_are_weekly_mondays_ending_as_of(tmp_path):
    summary = generate(tmp_path, seed=1, weeks=3)
    assert summary.drops == sorted(p.name for p in tmp_path.iterdir())
    days = [date.fromisoformat(d) for d in summary.drops]
    assert len(days) == 4 and days[-1] == AS_OF
    assert all(d.weekday() == 0 for d in days)
    assert all(b - a == timedelta(days=7) for a, b in zip(days, days[1:]))
    assert summary.total_rows == sum(summary.rows_per_kind.values())


def test_default_small_is_small_and_covers_a_year(small):
    assert len(small.names) == SCALES["small"].weeks + 1
    first_event = min(r["event_at"] for r in small.rows["mql_events"])
    assert first_event >= (AS_OF - timedelta(weeks=52)).isoformat()
    leads = small.latest("leads")
    opps = small.latest("opportunities")
    assert 150 <= len(leads) <= 500
    assert 60 <= len(opps) <= 300
    assert sum(len(v) for v in small.rows.values()) < 8000


def test_first_drop_has_every_kind_with_exactly_the_contract_columns(small):
    first = small.names[0]
    for kind in FILE_KINDS:
        assert small.headers.get((first, kind.name)) == kind.column_names, kind.name
    for (drop, kind), header in small.headers.items():
        assert header == KINDS[kind].column_names, f"{drop}/{kind}.csv"
    # a delta holds only the kinds that changed that week; over the weeks, every kind changes
    in_deltas = [{k for d, k in small.headers if d == drop} for drop in small.names[1:]]
    assert all({"leads", "opportunities"} & kinds for kinds in in_deltas)
    assert set().union(*in_deltas) == {k.name for k in FILE_KINDS}


def test_values_are_written_in_the_contract_formats(small):
    def ts(v: str) -> None:
        datetime.strptime(v, "%Y-%m-%d %H:%M:%S")

    for row in small.rows["opportunities"]:
        ts(row["date_entered"]), ts(row["date_modified"])
        date.fromisoformat(row["date_closed"])
        assert row["deleted"] in ("0", "1")
        whole, cents = row["amount"].split(".")
        assert whole.isdigit() and len(cents) == 2
        assert 0 <= int(row["probability"]) <= 100
        assert row["commit_stage"] in ("include", "upside", "exclude")
    for row in small.rows["opportunities_audit"]:
        ts(row["date_created"])
        if row["field_name"] == "date_closed":
            date.fromisoformat(row["before_value_string"]), date.fromisoformat(row["after_value_string"])
        if row["field_name"] == "amount":
            float(row["before_value_string"]), float(row["after_value_string"])
    for row in small.rows["leads"]:
        assert row["converted"] in ("0", "1")
        assert row["email1"].endswith(".example.com")  # fake people, on a reserved domain


# --------------------------------------------------------------------------- full drop, then deltas


VERSIONED = [k.name for k in FILE_KINDS if k.version_column]


@pytest.mark.parametrize("kind", VERSIONED)
def test_each_drop_holds_one_version_per_record_from_its_own_week(small, kind):
    by_id: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in small.rows[kind]:
        lo, hi = small.window(row["_drop"])
        assert lo <= row["date_modified"] < hi, f"{kind} {row['id']} in {row['_drop']}: {row['date_modified']}"
        by_id[row["id"]].append(row)
    for rid, versions in by_id.items():
        drops = [v["_drop"] for v in versions]
        assert len(drops) == len(set(drops)), f"{kind} {rid} twice in one drop"
        versions.sort(key=lambda v: v["_drop"])
        stamps = [v["date_modified"] for v in versions]
        assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps), f"{kind} {rid}: {stamps}"


def test_events_are_exported_in_the_week_they_happen(small):
    stamp = {"opportunities_audit": "date_created", "campaign_log": "activity_date", "mql_events": "event_at"}
    for kind, column in stamp.items():
        for row in small.rows[kind]:
            lo, hi = small.window(row["_drop"])
            assert lo <= row[column] < hi, f"{kind} {row[column]} in {row['_drop']}"


def test_deltas_change_records_that_the_full_drop_already_had(small):
    first = {r["id"] for r in small.rows["opportunities"] if r["_drop"] == small.names[0]}
    later = {r["id"] for r in small.rows["opportunities"] if r["_drop"] != small.names[0]}
    assert len(first & later) >= 5, "open deals of the full export move on in the deltas"
    assert later - first, "new deals appear in the deltas"


# --------------------------------------------------------------------------- the audit trail


def test_replaying_the_audit_reproduces_every_exported_opportunity_version(small):
    audit: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in small.rows["opportunities_audit"]:
        assert row["field_name"] in AUDITED
        assert row["before_value_string"] != row["after_value_string"], "the audit logs changes only"
        audit[row["parent_id"]].append(row)
    opps = small.latest("opportunities")
    assert set(audit) <= set(opps), "audit rows point at exported opportunities"
    versions: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in small.rows["opportunities"]:
        versions[row["id"]].append(row)
    replayed = 0
    for oid, rows in audit.items():
        rows.sort(key=lambda r: r["date_created"])
        current = opps[oid]
        # creation values: the before value of each field's first change, else the current value
        state = {f: current[f] for f in AUDITED}
        for f in AUDITED:
            first = next((r for r in rows if r["field_name"] == f), None)
            if first is not None:
                state[f] = first["before_value_string"]
        assert state["sales_stage"] in STAGE_ORDER
        pending = list(rows)
        for version in sorted(versions[oid], key=lambda v: v["date_modified"]):
            while pending and pending[0]["date_created"] <= version["date_modified"]:
                change = pending.pop(0)
                assert state[change["field_name"]] == change["before_value_string"], (oid, change)
                state[change["field_name"]] = change["after_value_string"]
            assert {f: version[f] for f in AUDITED} == state, f"{oid} in {version['_drop']}"
        assert not pending, f"{oid}: audit rows after its latest version"
        replayed += 1
    assert replayed >= 50


def test_a_changed_deal_is_in_the_delta_of_its_last_change_with_that_time(small):
    last_change: dict[tuple[str, str], str] = {}
    for row in small.rows["opportunities_audit"]:
        key = (row["parent_id"], row["_drop"])
        last_change[key] = max(last_change.get(key, ""), row["date_created"])
    exported = {(r["id"], r["_drop"]): r["date_modified"] for r in small.rows["opportunities"]}
    for key, when in last_change.items():
        assert exported.get(key) == when, key


def test_closed_deals_carry_their_actual_close_date(small):
    close_time = {}
    for row in small.rows["opportunities_audit"]:
        if row["field_name"] == "sales_stage" and row["after_value_string"] in (WON, LOST):
            close_time[row["parent_id"]] = max(close_time.get(row["parent_id"], ""), row["date_created"])
    for oid, opp in small.latest("opportunities").items():
        if opp["sales_stage"] in (WON, LOST) and oid in close_time:
            assert opp["date_closed"] == close_time[oid][:10]


# --------------------------------------------------------------------------- the company


def test_management_chain_is_four_levels_deep_without_cycles(small):
    users = small.latest("users")
    depth = {}
    for uid in users:
        seen, cur = [], uid
        while cur:
            assert cur not in seen, f"reports_to cycle through {seen}"
            seen.append(cur)
            cur = users[cur]["reports_to_id"]
            assert not cur or cur in users, f"{uid} reports to an unknown user"
        depth[uid] = len(seen)
    assert max(depth.values()) >= 4
    titles = {u["title"] for u in users.values()}
    assert {"VP of Sales", "SDR Manager", "Sales Development Representative", "Marketing Operations Manager"} <= titles
    vp = next(u for u in users.values() if u["title"] == "VP of Sales")
    assert sum(u["reports_to_id"] == vp["id"] and u["title"].startswith("Director") for u in users.values()) >= 2
    sdr_manager = next(u for u in users.values() if u["title"] == "SDR Manager")
    assert sdr_manager["reports_to_id"] == vp["id"]
    assert sum(u["status"] == "Inactive" for u in users.values()) >= 2
    assert all(u["title"] for u in users.values())


def test_hunting_starts_with_a_lead_and_farming_without(small):
    opps = small.latest("opportunities")
    leads = small.latest("leads")
    from_lead = {l["opportunity_id"]: l for l in leads.values() if l["converted"] == "1"}
    live = [o for o in opps.values() if o["deleted"] == "0"]  # deleted duplicates have no lead
    new = [o for o in live if o["opportunity_type"] == "New Business"]
    existing = [o for o in live if o["opportunity_type"] == "Existing Business"]
    assert new
    # every new-business deal comes from a lead, save a rep's duplicate of one (deleted days later)
    origin = {(o["name"], o["account_id"]) for o in new if o["id"] in from_lead}
    assert all(o["id"] in from_lead or (o["name"], o["account_id"]) in origin for o in new)
    assert sum(o["id"] not in from_lead for o in existing) >= 10
    assert any(o["opportunity_type"] == "" for o in opps.values()), "the motion fallback needs untyped deals"
    for oid, lead in from_lead.items():
        assert lead["status"] == "Converted" and lead["account_id"] == opps[oid]["account_id"]
    # converted leads open their deal in Prospecting (SRL)
    first_stage = {}
    for row in sorted(small.rows["opportunities_audit"], key=lambda r: r["date_created"]):
        if row["field_name"] == "sales_stage":
            first_stage.setdefault(row["parent_id"], row["before_value_string"])
    assert all(first_stage.get(o["id"], o["sales_stage"]) == "Prospecting" for o in new)


def test_accounts_become_customers_when_they_win(small):
    accounts = small.latest("accounts")
    won_new = [o for o in small.latest("opportunities").values()
               if o["opportunity_type"] == "New Business" and o["sales_stage"] == WON]
    assert won_new
    assert all(accounts[o["account_id"]]["account_type"] == "Customer" for o in won_new)
    assert {"Customer", "Prospect"} <= {a["account_type"] for a in accounts.values()}


def test_the_deal_stories_marts_must_handle_are_all_there(small):
    regressions = skips = reopened = 0
    for row in small.rows["opportunities_audit"]:
        if row["field_name"] != "sales_stage":
            continue
        before, after = STAGE_ORDER[row["before_value_string"]], STAGE_ORDER[row["after_value_string"]]
        if row["before_value_string"] == LOST:
            reopened += 1
        elif after < before:
            regressions += 1
        elif after < STAGE_ORDER[WON] and after > before + 1:
            skips += 1
    assert regressions and skips and reopened
    fields = {r["field_name"] for r in small.rows["opportunities_audit"]}
    assert fields == set(AUDITED)
    # close dates pushed into a later quarter
    pushed = [r for r in small.rows["opportunities_audit"] if r["field_name"] == "date_closed"
              and _quarter(r["after_value_string"]) > _quarter(r["before_value_string"])]
    assert pushed
    assert {o["currency_id"] for o in small.latest("opportunities").values()} >= {"USD", "EUR", "GBP"}
    rates = {r["currency_id"] for r in small.rows["currency_rates"]}
    assert rates == {"EUR", "GBP", "JPY"}


def test_the_lead_stories_marts_must_handle_are_all_there(small):
    leads = small.latest("leads")
    statuses = {r["status"] for r in small.rows["leads"]}  # in some drop, not all still current
    assert {"New", "Assigned", "In Process", "Converted", "Recycled", "Dead"} <= statuses
    events = defaultdict(list)
    for row in small.rows["mql_events"]:
        events[row["lead_id"]].append(row["event_type"])
    assert any(e.count("mql") == 2 and "recycled" in e for e in events.values()), "a recycled lead MQLs again"
    touched = {r["parent_id"] for kind in ("calls", "meetings") for r in small.rows[kind]
               if r["parent_type"] == "Leads"}
    assert any(lid not in touched for lid in leads), "some leads are never touched"
    assert {l["lead_source"] for l in leads.values()} >= {"Web Site", "Campaign", "Cold Call", "Partner",
                                                            "Existing Customer", "Other", "Email"}
    assert sum(bool(l["campaign_id"]) for l in leads.values()) > len(leads) / 3
    touches = defaultdict(int)
    for row in small.rows["campaign_log"]:
        assert row["target_type"] == "Leads"
        touches[row["target_id"]] += 1
    assert max(touches.values()) >= 3


def test_deletions_arrive_in_deltas(small):
    for kind in ("leads", "opportunities"):
        deleted = [r for r in small.rows[kind] if r["deleted"] == "1" and r["_drop"] != small.names[0]]
        assert deleted, kind
        assert all(d["date_modified"] > d["date_entered"] for d in deleted), "a deletion is a later change"


def test_marketing_reference_files_cover_the_history(small):
    campaigns = small.latest("campaigns")
    assert 10 <= len(campaigns) <= 30
    assert len({c["campaign_type"] for c in campaigns.values()}) >= 4
    spend = small.rows["marketing_spend"]
    assert {"USD", "EUR"} <= {r["currency_id"] for r in spend}
    assert {r["campaign_id"] for r in spend if r["campaign_id"]} <= set(campaigns)
    periods = {r["fiscal_period"] for r in small.rows["targets"]}
    assert {"FY2026-Q1", "FY2026-Q2", "FY2026-Q3", "FY2026-Q4"} <= periods
    reps = {u["id"] for u in small.latest("users").values() if "Account Executive" in u["title"]}
    assert {r["user_id"] for r in small.rows["targets"]} <= reps


# --------------------------------------------------------------------------- benchmark-ish rates


def test_funnel_rates_sit_in_the_benchmark_bands(medium):
    leads = [l for l in medium.latest("leads").values() if l["deleted"] == "0"]
    opps = medium.latest("opportunities")
    mature = [l for l in leads if l["date_entered"] < "2026-06-01"]  # cohorts old enough to have converted
    mql_to_srl = sum(l["converted"] == "1" for l in mature) / len(mature)
    assert 0.20 <= mql_to_srl <= 0.40

    # the furthest open stage each deal reached (a won deal passed them all)
    reached = {oid: -1 if o["sales_stage"] == LOST else STAGE_ORDER[o["sales_stage"]] for oid, o in opps.items()}
    for row in medium.rows["opportunities_audit"]:
        if row["field_name"] == "sales_stage":
            for v in (row["before_value_string"], row["after_value_string"]):
                if STAGE_ORDER[v] != STAGE_ORDER[LOST]:
                    reached[row["parent_id"]] = max(reached[row["parent_id"]], STAGE_ORDER[v])
    rates = {}
    for motion in ("New Business", "Existing Business"):
        deals = [o for o in opps.values() if o["opportunity_type"] == motion and o["deleted"] == "0"]
        qualified = [o for o in deals if reached[o["id"]] >= 1]
        closed = [o for o in qualified if o["sales_stage"] in (WON, LOST)]
        rates[motion] = (len(qualified) / len(deals), sum(o["sales_stage"] == WON for o in closed) / len(closed))
    srl_to_sql, new_win = rates["New Business"]
    assert 0.78 <= srl_to_sql <= 0.92
    assert 0.22 <= new_win <= 0.38
    assert 0.65 <= rates["Existing Business"][1] <= 0.85


# --------------------------------------------------------------------------- the output folder


def test_a_second_run_into_the_same_folder_rewrites_and_a_different_history_is_refused(tmp_path):
    generate(tmp_path, seed=9, weeks=5)
    before = {p: p.read_bytes() for p in tmp_path.rglob("*.csv")}
    generate(tmp_path, seed=9, weeks=5)
    assert {p: p.read_bytes() for p in tmp_path.rglob("*.csv")} == before
    with pytest.raises(FileExistsError, match="another run"):  # its first drops would stay behind
        generate(tmp_path, seed=9, weeks=2)


def test_unknown_scale_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="small, medium, large"):
        generate(tmp_path, scale="huge")


def _quarter(day: str) -> tuple[int, int]:
    d = date.fromisoformat(day)
    return d.year, (d.month - 1) // 3
