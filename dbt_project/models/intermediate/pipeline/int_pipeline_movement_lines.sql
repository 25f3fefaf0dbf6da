{#-
    The lines of the weekly pipeline waterfall (marts.mart_pipeline_movement,
    docs/domain.md: forecasting), one row per deal per line it moves: how the open
    pipeline closing in the week end's fiscal quarter went from the previous week end
    ("starting") to this one ("ending").

    Each deal is followed from its state at the previous week end to its state at this
    one (int_opportunity_weekly_state):
    - in the pipeline at the start (open, close date in the quarter): its amount change
      is `increased` / `decreased` (for the starting owner); if it has another owner
      at the end, `reassigned_out` / `reassigned_in`; then, by the owner at the end,
      it leaves as `won`, `lost`, `pushed_out` or `slipped` (close date moved out of the
      quarter: slipped when the move was made in the quarter's last month, its last
      third; pushed out before), or stays (`ending`);
    - not in it at the start but open in the quarter at the end, or closed this week
      with a close date in the quarter: it comes in as `created` (created this week),
      `pulled_in` (it was open, closing outside the quarter) or `reopened` (it was
      closed), and a deal closed this week then leaves as `won` / `lost`.
    Entries and exits count the amount at the end of the week; amount changes of deals
    in the pipeline at the start are their own lines.  A deal without a reporting
    amount counts as 0.

    Incremental on the weekly spine's rows (macros/incremental.sql:
    as_of_incremental_config; several lines share an opportunity x week end): a week
    end's lines are its state's and the week before's, so a run recomputes every week
    end of the opportunities int_changed_opportunities lists and every opportunity's
    week ends from as_of_recompute_from() on, reading the spine from the week before.
-#}

{{ as_of_incremental_config('week_end') }}

with

recompute as (

    select {{ as_of_recompute_from('week_end', week_end) }} as from_week_end

),

-- The whole spine's last week end, whatever rows are read.
spine_end as (

    select max(week_end) as last_week_end from {{ ref('int_opportunity_weekly_state') }}

),

weekly_state as (

    select
        *,
        coalesce(amount_reporting, 0) as amount
    from {{ ref('int_opportunity_weekly_state') }}
    {%- if is_incremental() %}
    where {{ only_changed_opportunities('opportunity_id') }}
        or {{ dbt.dateadd('day', 7, 'week_end') }} >= (select from_week_end from recompute)
    {%- endif %}

),

-- Each deal's state at the week end (cur) and at the previous week end (prev).
paired as (

    select
        coalesce(cur.week_end, {{ dbt.dateadd('day', 7, 'prev.week_end') }}) as week_end,
        coalesce(cur.opportunity_id, prev.opportunity_id) as opportunity_id,
        prev.opportunity_id is not null as has_prev,
        prev.is_open as prev_is_open,
        prev.owner_user_id as prev_owner,
        prev.amount as prev_amount,
        prev.close_date as prev_close_date,
        cur.opportunity_id is not null as has_cur,
        cur.is_open as cur_is_open,
        cur.is_won_this_week,
        cur.is_lost_this_week,
        cur.owner_user_id as cur_owner,
        cur.amount as cur_amount,
        cur.close_date as cur_close_date,
        cur.close_date_set_at,
        cur.created_at
    from weekly_state as cur
    full outer join weekly_state as prev
        on prev.opportunity_id = cur.opportunity_id
        and prev.week_end = cast({{ dbt.dateadd('day', -7, 'cur.week_end') }} as date)

),

-- The fiscal quarter of the week end: the pipeline the movement is about.
quartered as (

    select
        paired.*,
        {{ fiscal_quarter_label('paired.week_end') }} as fiscal_quarter,
        {{ fiscal_quarter_start('paired.week_end') }} as quarter_start,
        {{ fiscal_quarter_end('paired.week_end') }} as quarter_end
    from paired
    -- A previous week end's row whose next week end is past the spine's end.
    where paired.week_end <= (select last_week_end from spine_end)
    {%- if is_incremental() %}
        -- Not the week before the first recomputed one: its own week before was not read.
        and ({{ only_changed_opportunities('paired.opportunity_id') }}
            or paired.week_end >= (select from_week_end from recompute))
    {%- endif %}

),

classified as (

    select
        quartered.*,
        coalesce(prev_is_open and prev_close_date between quarter_start and quarter_end, false) as in_start,
        coalesce(cur_is_open and cur_close_date between quarter_start and quarter_end, false) as in_end,
        coalesce(cur_close_date between quarter_start and quarter_end, false) as closes_in_quarter,
        coalesce(cast(close_date_set_at as date) >= {{ dbt.dateadd('month', 2, 'quarter_start') }}, false)
            as moved_in_last_third,
        case
            when created_at >= cast({{ week_start_of_week_end('week_end') }} as timestamp) then 'created'
            when has_prev and prev_is_open then 'pulled_in'
            else 'reopened'
        end as entry_movement
    from quartered

)

-- One row per deal per line of the waterfall, with its signed effect.
-- In the pipeline at the start.
select week_end, fiscal_quarter, opportunity_id, prev_owner as owner_user_id, 'starting' as movement,
    1 as opportunity_count, prev_amount as amount
from classified
where in_start

union all

select week_end, fiscal_quarter, opportunity_id, prev_owner,
    case when cur_amount > prev_amount then 'increased' else 'decreased' end, 0, cur_amount - prev_amount
from classified
where in_start and cur_amount <> prev_amount

union all

select week_end, fiscal_quarter, opportunity_id, prev_owner, 'reassigned_out', -1, -cur_amount
from classified
where in_start and cur_owner is distinct from prev_owner

union all

select week_end, fiscal_quarter, opportunity_id, cur_owner, 'reassigned_in', 1, cur_amount
from classified
where in_start and cur_owner is distinct from prev_owner

union all

-- Not in the pipeline at the start, but in it at the end or closed in the quarter this week.
select week_end, fiscal_quarter, opportunity_id, cur_owner, entry_movement, 1, cur_amount
from classified
where not in_start
    and (in_end or ((is_won_this_week or is_lost_this_week) and closes_in_quarter))

union all

-- Leaving: closed, or still open with the close date moved out of the quarter.
select
    week_end,
    fiscal_quarter,
    opportunity_id,
    cur_owner,
    case
        when is_won_this_week then 'won'
        when is_lost_this_week then 'lost'
        when moved_in_last_third then 'slipped'
        else 'pushed_out'
    end,
    -1,
    -cur_amount
from classified
where (in_start and not in_end)
    or (not in_start and (is_won_this_week or is_lost_this_week) and closes_in_quarter)

union all

select week_end, fiscal_quarter, opportunity_id, cur_owner, 'ending', 1, cur_amount
from classified
where in_end
