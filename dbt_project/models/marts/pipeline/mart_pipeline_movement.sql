{#-
    The weekly pipeline movement (waterfall, docs/domain.md: forecasting): per week end and
    owner, how the open pipeline closing in the week end's fiscal quarter went from
    the previous week end ("starting") to this one ("ending"), one row per movement.
    The lines each deal moves, and the rules that classify them, are
    int_pipeline_movement_lines.  So, per week end and owner, starting + every change =
    ending, for the count and for the amount (the test
    assert_pipeline_movement_reconciles).
-#}
{%- set movements = [
    'starting', 'created', 'reopened', 'pulled_in', 'reassigned_in', 'increased', 'decreased',
    'reassigned_out', 'pushed_out', 'slipped', 'won', 'lost', 'ending',
] -%}

with

lines as (

    select * from {{ ref('int_pipeline_movement_lines') }}

),

movement_order as (

    {%- for movement in movements %}
    select '{{ movement }}' as movement, {{ loop.index }} as movement_order
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

owner_weeks as (

    select distinct week_end, fiscal_quarter, owner_user_id from lines

),

-- Every owner with a line in a week gets its starting and ending lines, 0 when empty.
levels as (

    select owner_weeks.week_end, owner_weeks.fiscal_quarter, owner_weeks.owner_user_id, level.movement
    from owner_weeks
    cross join (
        select 'starting' as movement
        union all
        select 'ending' as movement
    ) as level

),

aggregated as (

    select
        week_end,
        fiscal_quarter,
        owner_user_id,
        movement,
        count(*) as opportunities_moved,
        sum(opportunity_count) as opportunity_count,
        sum(amount) as amount
    from lines
    group by week_end, fiscal_quarter, owner_user_id, movement

),

with_levels as (

    select
        coalesce(aggregated.week_end, levels.week_end) as week_end,
        coalesce(aggregated.fiscal_quarter, levels.fiscal_quarter) as fiscal_quarter,
        coalesce(aggregated.owner_user_id, levels.owner_user_id) as owner_user_id,
        coalesce(aggregated.movement, levels.movement) as movement,
        coalesce(aggregated.opportunities_moved, 0) as opportunities_moved,
        coalesce(aggregated.opportunity_count, 0) as opportunity_count,
        coalesce(aggregated.amount, 0) as amount
    from aggregated
    full outer join levels
        on levels.week_end = aggregated.week_end
        and levels.owner_user_id is not distinct from aggregated.owner_user_id
        and levels.movement = aggregated.movement

)

select
    with_levels.week_end,
    with_levels.fiscal_quarter,
    with_levels.owner_user_id,
    with_levels.movement,
    movement_order.movement_order,
    with_levels.opportunities_moved,
    with_levels.opportunity_count,
    with_levels.amount

from with_levels
inner join movement_order
    on movement_order.movement = with_levels.movement
