{#-
    The waterfall must add up: for every week end and owner of
    mart_pipeline_movement, starting + every change = ending, for the number of deals
    and for the amount.  Returns the (week, owner) pairs that do not.
-#}

with

totals as (

    select
        week_end,
        owner_user_id,
        sum(case when movement = 'starting' then opportunity_count else 0 end) as starting_count,
        sum(case when movement not in ('starting', 'ending') then opportunity_count else 0 end) as count_changes,
        sum(case when movement = 'ending' then opportunity_count else 0 end) as ending_count,
        sum(case when movement = 'starting' then amount else 0 end) as starting_amount,
        sum(case when movement not in ('starting', 'ending') then amount else 0 end) as amount_changes,
        sum(case when movement = 'ending' then amount else 0 end) as ending_amount,
        sum(case when movement = 'starting' then 1 else 0 end) as starting_rows,
        sum(case when movement = 'ending' then 1 else 0 end) as ending_rows
    from {{ ref('mart_pipeline_movement') }}
    group by week_end, owner_user_id

)

select *
from totals
where starting_count + count_changes <> ending_count
    or abs(starting_amount + amount_changes - ending_amount) > 0.005
    or starting_rows <> 1
    or ending_rows <> 1
