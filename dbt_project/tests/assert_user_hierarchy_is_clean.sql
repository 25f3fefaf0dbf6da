{#-
    Reports users whose management chain (users.reports_to_id) runs into a cycle or
    ends at a manager who is not in the users file.  The hierarchy still builds (the
    chain stops there), but forecast roll-ups above that point are incomplete: fix
    reports_to_id in the CRM.
-#}
{{ config(severity='warn') }}

select
    user_id,
    chain_depth,
    has_cycle,
    has_dangling_manager

from {{ ref('int_user_hierarchy') }}
where depth = 0
    and (has_cycle or has_dangling_manager)
