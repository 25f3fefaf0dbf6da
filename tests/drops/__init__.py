"""Hand-made drop sets: the row builders they share, and one module per set (funnel, pipeline,
forecast, marketing, staging) holding its drops and what its tests need to know about them.

A builder returns one raw row as the CRM export writes it (column -> text); columns a row
leaves out are written empty (tests.warehouse.write_drop_set).
"""

from __future__ import annotations


def user(user_id: str, **columns: str) -> dict[str, str]:
    """A users row; its user_name is the id without the `u_` prefix."""
    return {"id": user_id, "user_name": user_id.removeprefix("u_"), **columns}


def account(account_id: str, name: str, created: str, **columns: str) -> dict[str, str]:
    return {"id": account_id, "name": name, "date_entered": created, "date_modified": created, **columns}


def lead(lead_id: str, created: str, status: str, *, first: str, last: str, modified: str = "", campaign: str = "",
         source: str = "", sdr: str = "", opportunity: str = "", phone_prefix: str = "+1 555 0") -> dict[str, str]:
    """A lead, converted when it names its `opportunity`; its name, e-mail and phone are personal data
    that must never reach a mart."""
    return {
        "id": lead_id, "date_entered": created, "date_modified": modified or created, "status": status,
        "campaign_id": campaign, "lead_source": source, "assigned_user_id": sdr,
        "converted": "1" if opportunity else "0", "opportunity_id": opportunity,
        "first_name": first, "last_name": last, "email1": f"{first}.{last}@example.org".lower(),
        "phone_work": f"{phone_prefix}{len(first)}{len(last)} {lead_id}", "account_name": f"{last} Industries",
    }


def mql(lead_id: str, at: str, *, event_type: str = "mql", **columns: str) -> dict[str, str]:
    """An mql_events row (or another event_type: `recycled`)."""
    return {"lead_id": lead_id, "event_type": event_type, "event_at": at, **columns}


def opportunity(opp_id: str, created: str, modified: str, *, amount: str, stage: str, owner: str = "u_ae",
                opp_type: str = "New Business", close: str = "", commit: str = "include", account: str = "",
                name_suffix: str = "", **columns: str) -> dict[str, str]:
    """An opportunity's current record; it closes on the day it was last modified unless `close` says."""
    return {
        "id": opp_id, "name": opp_id + name_suffix, "date_entered": created, "date_modified": modified,
        "assigned_user_id": owner, "account_id": account, "opportunity_type": opp_type, "amount": amount,
        "date_closed": close or modified[:10], "sales_stage": stage, "commit_stage": commit, **columns,
    }


def change(audit_id: str, opp_id: str, at: str, field: str, before: str, after: str) -> dict[str, str]:
    """An opportunities_audit row: `field` changed from `before` to `after` at `at`."""
    return {"id": audit_id, "parent_id": opp_id, "date_created": at, "field_name": field,
            "before_value_string": before, "after_value_string": after}


def moves(opp_id: str, *steps: tuple[str, str, str]) -> list[dict[str, str]]:
    """Audit rows of stage changes: (when, from, to), numbered <opp_id>-a1, -a2, ..."""
    return [change(f"{opp_id}-a{n}", opp_id, when, "sales_stage", before, after)
            for n, (when, before, after) in enumerate(steps, start=1)]


def touch(touch_id: str, parent_type: str, parent_id: str, start: str, status: str) -> dict[str, str]:
    """A calls or meetings row by the SDR u_sdr1."""
    return {"id": touch_id, "date_start": start, "parent_type": parent_type, "parent_id": parent_id,
            "status": status, "assigned_user_id": "u_sdr1", "date_modified": start}


def log(touch_id: str, campaign: str, lead_id: str, activity: str, when: str) -> dict[str, str]:
    """A campaign_log row about a lead."""
    return {"id": touch_id, "campaign_id": campaign, "target_type": "Leads", "target_id": lead_id,
            "activity_type": activity, "activity_date": when}


def spend(date: str, amount: str, campaign: str, channel: str, currency: str) -> dict[str, str]:
    return {"date": date, "spend": amount, "campaign_id": campaign, "channel": channel, "currency_id": currency}
