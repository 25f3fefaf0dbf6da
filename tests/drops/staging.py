"""The staging and intermediate layers' hand-made drop set: a full export, then a weekly delta with
updates and deletions, holding every case with a known answer: an opportunity's stage history, the
upsert and delete rules, a reports-to chain with a cycle and a dangling manager, the currency
conversion and the sales motion."""

from __future__ import annotations

from tests.drops import account, change, user

# The layers these tests read; marts are other modules' business.  `cautious` keeps
# tests that also read unselected models (marts) out of the run.
BUILD_SELECTION = [
    "path:models/staging",
    "int_opportunity_changes", "int_opportunity_stage_visits", "int_user_hierarchy_periods", "int_user_hierarchy",
    "int_opportunities",
]

FULL, DELTA = "2026-01-05", "2026-01-12"

# ----------------------------------------------------------------------------- the drop set

HANDMADE: dict[str, dict[str, list[dict[str, str]]]] = {
    FULL: {
        "users": [
            user("u_vp", date_modified="2026-01-01 00:00:00"),
            user("u_mgr", reports_to_id="u_vp", date_modified="2026-01-01 00:00:00"),
            user("u_rep1", reports_to_id="u_mgr", date_modified="2026-01-01 00:00:00"),
            user("u_rep2", reports_to_id="u_mgr", date_modified="2026-01-01 00:00:00"),
            # A cycle (c1 <-> c2), a user reporting into it, a user reporting to itself.
            user("u_c1", reports_to_id="u_c2", date_modified="2026-01-01 00:00:00"),
            user("u_c2", reports_to_id="u_c1", date_modified="2026-01-01 00:00:00"),
            user("u_c3", reports_to_id="u_c1", date_modified="2026-01-01 00:00:00"),
            user("u_self", reports_to_id="u_self", date_modified="2026-01-01 00:00:00"),
            # A manager who is not in the users file, and a user below that one.
            user("u_d1", reports_to_id="u_ghost", date_modified="2026-01-01 00:00:00"),
            user("u_d2", reports_to_id="u_d1", date_modified="2026-01-01 00:00:00"),
        ],
        "accounts": [
            account("acc1", "Acme", "2025-12-01 00:00:00"),
            account("acc2", "Globex", "2025-12-01 00:00:00"),
        ],
        "leads": [
            {"id": "L1", "date_entered": "2026-01-01 08:00:00", "date_modified": "2026-01-03 08:00:00", "status": "New",
             "first_name": " Ada ", "assigned_user_id": "u_rep1"},
            {"id": "L2", "date_entered": "2026-01-01 08:00:00", "date_modified": "2026-01-01 08:00:00", "status": "New"},
            {"id": "L3", "date_entered": "2026-01-01 08:00:00", "date_modified": "2026-01-01 08:00:00", "status": "New"},
        ],
        "opportunities": [
            # The stage-history case: Prospecting -> Qualification -> Prospecting -> Closed Won.
            {"id": "O1", "name": "Acme first deal", "date_entered": "2026-01-01 09:00:00",
             "date_modified": "2026-01-04 12:00:00", "assigned_user_id": "u_rep1", "account_id": "acc1",
             "opportunity_type": "", "amount": "1500", "currency_id": "", "date_closed": "2026-01-04",
             "sales_stage": "Closed Won", "commit_stage": "Include"},
            # Euros, converted at the rate valid when it was created.
            {"id": "O2", "name": "Globex", "date_entered": "2026-01-02 09:00:00",
             "date_modified": "2026-01-02 09:00:00", "assigned_user_id": "u_rep2", "account_id": "acc2",
             "opportunity_type": "New Business", "amount": "1000", "currency_id": "eur",
             "date_closed": "2026-03-31", "sales_stage": "Prospecting"},
            # No type; its account had a deal won before it was created: farming.
            {"id": "O3", "name": "Acme upsell", "date_entered": "2026-01-06 09:00:00",
             "date_modified": "2026-01-06 09:00:00", "assigned_user_id": "u_rep1", "account_id": "acc1",
             "amount": "200", "date_closed": "2026-02-28", "sales_stage": "Qualification"},
            # Deleted by the delta.
            {"id": "O4", "name": "To be deleted", "date_entered": "2026-01-02 09:00:00",
             "date_modified": "2026-01-02 09:00:00", "assigned_user_id": "u_rep2", "amount": "50",
             "date_closed": "2026-02-28", "sales_stage": "Prospecting"},
            # A currency without any rate, and a stage the stage map does not know.
            {"id": "O5", "name": "Pounds", "date_entered": "2026-01-02 09:00:00",
             "date_modified": "2026-01-02 09:00:00", "assigned_user_id": "u_rep2", "amount": "70",
             "currency_id": "GBP", "date_closed": "2026-02-28", "sales_stage": "Discovery"},
        ],
        "opportunities_audit": [
            change("a1", "O1", "2026-01-02 10:00:00", "sales_stage", "Prospecting", "Qualification"),
            change("a2", "O1", "2026-01-03 11:00:00", "sales_stage", "Qualification", "Prospecting"),
            change("a3", "O1", "2026-01-03 12:00:00", "amount", "1000", "1500"),
            # Saving the record without changing the stage: not a new visit.
            change("a4", "O1", "2026-01-03 13:00:00", "sales_stage", "Prospecting", "Prospecting"),
            change("a5", "O1", "2026-01-04 12:00:00", "sales_stage", "Prospecting", "Closed Won"),
            change("a6", "O1", "2026-01-04 12:00:00", "commit_stage", "upside", "include"),
        ],
        "calls": [
            {"id": "C1", "date_start": "2026-01-01T10:00:00Z", "parent_type": "Leads", "parent_id": "L1", "status": "Held"},
            {"id": "C2", "date_start": "2026-01-02T10:00:00+01:00", "parent_type": "Leads", "parent_id": "L2",
             "status": "Held"},
        ],
        "meetings": [
            {"id": "M1", "date_start": "2026-01-03 10:00:00", "parent_type": "Opportunities", "parent_id": "O1",
             "status": "Held", "date_modified": "2026-01-03 10:00:00"},
        ],
        "currency_rates": [
            {"currency_id": "EUR", "date": "2025-12-01", "rate": "1.10"},
            {"currency_id": "EUR", "date": "2026-01-03", "rate": "1.20"},
        ],
    },
    DELTA: {
        "users": [
            user("u_rep2", title="Senior AE", reports_to_id="u_mgr", date_modified="2026-01-10 00:00:00"),
        ],
        "accounts": [
            account("acc2", "Globex", "2025-12-01 00:00:00", date_modified="2026-01-10 00:00:00", deleted="1"),
        ],
        "leads": [
            # An older version arriving in a later drop: the latest date_modified still wins.
            {"id": "L1", "date_entered": "2026-01-01 08:00:00", "date_modified": "2026-01-02 08:00:00",
             "status": "Dead"},
            {"id": "L2", "date_entered": "2026-01-01 08:00:00", "date_modified": "2026-01-09 08:00:00",
             "status": "Converted", "converted": "1", "opportunity_id": "O3"},
            {"id": "L3", "date_entered": "2026-01-01 08:00:00", "date_modified": "2026-01-09 08:00:00", "status": "New",
             "deleted": "true"},
        ],
        "opportunities": [
            {"id": "O4", "name": "To be deleted", "date_entered": "2026-01-02 09:00:00",
             "date_modified": "2026-01-08 09:00:00", "assigned_user_id": "u_rep2", "amount": "50",
             "date_closed": "2026-02-28", "sales_stage": "Prospecting", "deleted": "1"},
            {"id": "O3", "name": "Acme upsell", "date_entered": "2026-01-06 09:00:00",
             "date_modified": "2026-01-09 09:00:00", "assigned_user_id": "u_rep2", "account_id": "acc1",
             "amount": "250", "date_closed": "2026-02-28", "sales_stage": "Qualification"},
        ],
        "opportunities_audit": [
            change("a7", "O3", "2026-01-09 09:00:00", "amount", "200", "250"),
            change("a8", "O3", "2026-01-09 09:00:00", "assigned_user_id", "u_rep1", "u_rep2"),
            change("a9", "O4", "2026-01-08 09:00:00", "sales_stage", "Prospecting", "Closed Lost"),
        ],
        "calls": [
            {"id": "C1", "date_start": "2026-01-01T10:00:00Z", "parent_type": "Leads", "parent_id": "L1", "status": "Held",
             "deleted": "1"},
        ],
    },
}
