{#-
    Slippage per deal and fiscal quarter (docs/domain.md: forecasting; marts.mart_forecast_slippage):
    one row per opportunity per fiscal quarter whose pipeline it was in at some week, from
    the lines of the weekly waterfall (int_pipeline_movement_lines), so that "moved out of
    the quarter" is the movement mart's own rule, not a second one: a deal leaves the
    quarter's pipeline still open with its close date moved out of the quarter, `slipped`
    when the move was made in the quarter's last third, `pushed_out` before.

    - A deal was expected to close in the quarter when it has any waterfall line of the
      quarter: it was in the quarter's open pipeline (close date in the quarter) at one of
      the week ends the waterfall follows it at, or entered it and closed in the same week.
    - It is credited to one owner, the one it had at its last week in the quarter's
      waterfall (the owner it ended, left or closed with), so that owners add up.
    - Its first move out of the quarter decides its kind and its amount (the amount that
      left, reporting currency); a deal pulled back in and moved out again in the same
      quarter counts once, with move_outs telling how often.
    - prior_move_outs / later_move_outs: its move-out lines (any quarter) in week ends
      before / after its first move out of this quarter: "slipped before", "slipped again".
-#}

with

lines as (

    select
        week_end,
        fiscal_quarter,
        {{ fiscal_quarter_start('cast(week_end as date)') }} as fiscal_quarter_start,
        {{ fiscal_quarter_end('cast(week_end as date)') }} as fiscal_quarter_end,
        opportunity_id,
        owner_user_id,
        movement,
        amount,
        movement in ('pushed_out', 'slipped') as is_move_out,
        -- Lines a deal's starting owner carries; every other line is by its owner at the week end.
        movement in ('starting', 'increased', 'decreased', 'reassigned_out') as is_starting_owner_line
    from {{ ref('int_pipeline_movement_lines') }}

),

-- The owner at the deal's last week in the quarter's waterfall.
last_owner as (

    select
        opportunity_id,
        fiscal_quarter,
        owner_user_id,
        row_number() over (
            partition by opportunity_id, fiscal_quarter
            order by week_end desc
        ) as recency
    from lines
    where not is_starting_owner_line

),

first_move_out as (

    select
        opportunity_id,
        fiscal_quarter,
        week_end as first_move_out_week_end,
        movement as move_out_kind,
        -amount as moved_out_amount,
        row_number() over (
            partition by opportunity_id, fiscal_quarter
            order by week_end
        ) as move_out_seq
    from lines
    where is_move_out

),

deal_quarters as (

    select
        opportunity_id,
        fiscal_quarter,
        fiscal_quarter_start,
        fiscal_quarter_end,
        sum(case when is_move_out then 1 else 0 end) as move_outs
    from lines
    group by opportunity_id, fiscal_quarter, fiscal_quarter_start, fiscal_quarter_end

),

move_outs as (

    select opportunity_id, week_end
    from lines
    where is_move_out

),

with_first_move_out as (

    select
        deal_quarters.opportunity_id,
        deal_quarters.fiscal_quarter,
        deal_quarters.fiscal_quarter_start,
        deal_quarters.fiscal_quarter_end,
        last_owner.owner_user_id,
        deal_quarters.move_outs,
        first_move_out.first_move_out_week_end,
        first_move_out.move_out_kind,
        first_move_out.moved_out_amount
    from deal_quarters
    inner join last_owner
        on last_owner.opportunity_id = deal_quarters.opportunity_id
        and last_owner.fiscal_quarter = deal_quarters.fiscal_quarter
        and last_owner.recency = 1
    left join first_move_out
        on first_move_out.opportunity_id = deal_quarters.opportunity_id
        and first_move_out.fiscal_quarter = deal_quarters.fiscal_quarter
        and first_move_out.move_out_seq = 1

)

select
    with_first_move_out.opportunity_id,
    with_first_move_out.fiscal_quarter,
    with_first_move_out.fiscal_quarter_start,
    with_first_move_out.fiscal_quarter_end,
    with_first_move_out.owner_user_id,
    with_first_move_out.first_move_out_week_end is not null as is_moved_out,
    with_first_move_out.move_out_kind,
    with_first_move_out.first_move_out_week_end,
    cast(coalesce(with_first_move_out.moved_out_amount, 0) as {{ dbt.type_numeric() }}) as moved_out_amount,
    with_first_move_out.move_outs,
    count(case when move_outs.week_end < with_first_move_out.first_move_out_week_end then 1 end) as prior_move_outs,
    count(case when move_outs.week_end > with_first_move_out.first_move_out_week_end then 1 end) as later_move_outs

from with_first_move_out
left join move_outs
    on move_outs.opportunity_id = with_first_move_out.opportunity_id
group by all
