{#-
    The deals behind marts.mart_owner_performance, one row per opportunity and role it
    plays in a fiscal quarter (docs/domain.md: the qualified pipeline, forecasting):

    - `created`: the quarter it was created in (SRL), with the amount it entered the
      pipeline with: the as-of spine's amount at the end of its creation week
      (int_opportunity_weekly_state, reporting currency), as the waterfall's `created` line;
    - `won` / `lost`: the quarter of its close date, when it is won / lost now (the close
      that stands, int_funnel_entry_figures), with int_opportunities' amount_reporting,
      the roll-up's closed-won quarter and the targets' quarter.  Lost counts in the win
      rate only when the deal had reached SQL (`is_qualified`): the win rate is on
      qualified pipeline.  `sales_cycle_days` (created to won) is the funnel's.

    Every role is credited to the deal's owner now (as the funnel marts do), so a
    rep's won, lost and created deals are the same deals the funnel shows for them.
-#}

with

deals as (

    select
        figures.opportunity_id,
        opportunities.owner_user_id,
        figures.motion,
        figures.srl_at,
        figures.sql_at,
        figures.won_at,
        figures.lost_at,
        figures.sales_cycle_days,
        opportunities.close_date,
        opportunities.amount_reporting
    from {{ ref('int_funnel_entry_figures') }} as figures
    inner join {{ ref('int_opportunities') }} as opportunities
        on opportunities.opportunity_id = figures.opportunity_id

),

-- The amount at the end of the creation week: the spine's first row of the deal.
creation_amounts as (

    select
        opportunity_id,
        amount_reporting,
        row_number() over (partition by opportunity_id order by week_end) as week_seq
    from {{ ref('int_opportunity_weekly_state') }}

)

select
    deals.opportunity_id,
    {{ fiscal_quarter_label('cast(deals.srl_at as date)') }} as fiscal_quarter,
    {{ fiscal_quarter_start('cast(deals.srl_at as date)') }} as fiscal_quarter_start,
    {{ fiscal_quarter_end('cast(deals.srl_at as date)') }} as fiscal_quarter_end,
    'created' as deal_role,
    deals.owner_user_id,
    deals.motion,
    deals.won_at is not null or deals.sql_at is not null as is_qualified,
    cast(coalesce(creation_amounts.amount_reporting, 0) as {{ dbt.type_numeric() }}) as amount_reporting,
    cast(null as double) as sales_cycle_days
from deals
left join creation_amounts
    on creation_amounts.opportunity_id = deals.opportunity_id
    and creation_amounts.week_seq = 1

union all

select
    opportunity_id,
    {{ fiscal_quarter_label('close_date') }} as fiscal_quarter,
    {{ fiscal_quarter_start('close_date') }} as fiscal_quarter_start,
    {{ fiscal_quarter_end('close_date') }} as fiscal_quarter_end,
    case when won_at is not null then 'won' else 'lost' end as deal_role,
    owner_user_id,
    motion,
    won_at is not null or sql_at is not null as is_qualified,
    cast(coalesce(amount_reporting, 0) as {{ dbt.type_numeric() }}) as amount_reporting,
    case when won_at is not null then cast(sales_cycle_days as double) end as sales_cycle_days
from deals
where (won_at is not null or lost_at is not null)
    and close_date is not null
