{{ config(severity='warn') }}
{#-
    A data check, not a logic check: an opportunity created before its lead became an
    MQL (or a close before SQL) means the exports disagree about time.  The entry is
    kept as it is; days_mql_to_srl is negative for it.
-#}

select
    entry_id,
    mql_at,
    srl_at,
    sql_at,
    closed_at
from {{ ref('fct_funnel') }}
where srl_at < mql_at
    or sql_at < srl_at
    or closed_at < sql_at
