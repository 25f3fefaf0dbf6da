"""The reports-to hierarchy (int_user_hierarchy): a cycle and a dangling manager keep every user.

Built once per session from the hand-made staging drop set (tests/drops/staging.py: a full
export, then a weekly delta with updates and deletions) with the real loader and `dbt build`.
"""

from __future__ import annotations

from tests.warehouse import rows, warned


# ----------------------------------------------------------------------------- (c) hierarchy


def test_hierarchy_with_a_cycle_and_a_dangling_manager_keeps_every_user(staging_handmade):
    con, output = staging_handmade
    users = {r[0] for r in rows(con, "select user_id from staging.stg_sugarcrm__users")}
    chains: dict[str, list[str]] = {}
    flags: dict[str, tuple[bool, bool]] = {}
    for user, ancestor, _depth, cycle, dangling in rows(
        con,
        "select user_id, ancestor_user_id, depth, has_cycle, has_dangling_manager "
        "from intermediate.int_user_hierarchy order by user_id, depth",
    ):
        chains.setdefault(user, []).append(ancestor)
        flags[user] = (cycle, dangling)
    assert set(chains) == users
    assert chains["u_rep1"] == ["u_rep1", "u_mgr", "u_vp"]
    assert chains["u_c1"] == ["u_c1", "u_c2"]
    assert chains["u_c3"] == ["u_c3", "u_c1", "u_c2"]
    assert chains["u_self"] == ["u_self"]
    assert chains["u_d2"] == ["u_d2", "u_d1"]
    assert {u for u, (cycle, _) in flags.items() if cycle} == {"u_c1", "u_c2", "u_c3", "u_self"}
    assert {u for u, (_, dangling) in flags.items() if dangling} == {"u_d1", "u_d2"}
    assert warned(output, "assert_user_hierarchy_is_clean") == 6
