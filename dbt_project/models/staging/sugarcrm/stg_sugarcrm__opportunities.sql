{#-
    Besides renaming and de-duplicating, two columns every mart needs in one agreed
    form: amount_reporting (the amount in the reporting currency) and motion
    (hunting or farming, docs/domain.md: hunting and farming).
-#}

with

source as (

    select * from {{ source('raw', 'opportunities') }}

),

currency_rates as (

    select * from {{ ref('stg_reference__currency_rates') }}

),

opportunity_type_map as (

    select * from {{ ref('stg_vocabulary__opportunity_type_map') }}

),

stage_map as (

    select * from {{ ref('stg_vocabulary__stage_map') }}

),

renamed as (

    select
        {{ clean_text('id') }} as opportunity_id,
        {{ clean_text('name') }} as opportunity_name,
        date_entered as created_at,
        date_modified as modified_at,
        {{ clean_bool('deleted') }} as is_deleted,
        {{ clean_text('assigned_user_id') }} as owner_user_id,
        {{ clean_text('account_id') }} as account_id,
        {{ clean_text('opportunity_type') }} as opportunity_type,
        {{ clean_text('lead_source') }} as lead_source,
        {{ clean_text('campaign_id') }} as campaign_id,
        amount,
        upper({{ clean_text('currency_id') }}) as currency_id,
        amount_usdollar,
        date_closed as close_date,
        {{ clean_text('sales_stage') }} as sales_stage,
        probability,
        lower({{ clean_text('commit_stage') }}) as commit_stage,
        _drop as source_drop,
        _snapshot as source_snapshot,
        _file as source_file,
        _line as source_line

    from source

),

versions as (

    select
        renamed.*,
        {{ version_rank(['opportunity_id'], 'modified_at') }} as version_rank,
        {{ dropped_by_later_snapshot(['opportunity_id']) }} as is_dropped_by_snapshot
    from renamed

),

opportunities as (

    select * from versions
    where version_rank = 1
    and not is_dropped_by_snapshot
        and not is_deleted

),

-- The rate valid when the opportunity was created: the latest rate dated on or before it.
rates_at_creation as (

    select
        opportunities.opportunity_id,
        currency_rates.rate,
        row_number() over (
            partition by opportunities.opportunity_id
            order by currency_rates.valid_from desc
        ) as rate_rank

    from opportunities
    inner join currency_rates
        on currency_rates.currency_id = opportunities.currency_id
        and currency_rates.valid_from <= cast(opportunities.created_at as date)

),

-- Accounts with a won deal, and the first day one closed: an opportunity created
-- after that day is farming when its type does not say otherwise.
account_first_win as (

    select
        opportunities.account_id,
        min(opportunities.close_date) as first_won_close_date

    from opportunities
    inner join stage_map
        on stage_map.crm_stage = opportunities.sales_stage
    where stage_map.is_won
        and opportunities.account_id is not null
    group by opportunities.account_id

),

converted as (

    select
        opportunities.*,

        -- amount x rate has the scales of both (DECIMAL(38,24)): cast back to the raw scale,
        -- or a later product (a campaign's credit share x amount) would overflow DuckDB's decimals.
        cast(case
            when opportunities.amount_usdollar is not null
                then opportunities.amount_usdollar
            when opportunities.currency_id is null
                or opportunities.currency_id = upper('{{ var("reporting_currency") }}')
                then opportunities.amount
            else opportunities.amount * rates_at_creation.rate
        end as decimal(38, 12)) as amount_reporting,

        case
            when opportunities.amount_usdollar is not null then 'amount_usdollar'
            when opportunities.currency_id is null
                or opportunities.currency_id = upper('{{ var("reporting_currency") }}')
                then 'reporting_currency'
            when rates_at_creation.rate is not null then 'currency_rate'
            else 'no_rate'
        end as amount_conversion,

        case
            when opportunity_type_map.motion is not null then opportunity_type_map.motion
            when account_first_win.first_won_close_date < cast(opportunities.created_at as date)
                then 'farming'
            else 'hunting'
        end as motion,

        case
            when opportunity_type_map.motion is not null then 'opportunity_type'
            else 'account_history'
        end as motion_source

    from opportunities
    left join rates_at_creation
        on rates_at_creation.opportunity_id = opportunities.opportunity_id
        and rates_at_creation.rate_rank = 1
    left join opportunity_type_map
        on opportunity_type_map.opportunity_type = opportunities.opportunity_type
    left join account_first_win
        on account_first_win.account_id = opportunities.account_id

)

select
    opportunity_id,
    opportunity_name,
    created_at,
    modified_at,
    owner_user_id,
    account_id,
    opportunity_type,
    motion,
    motion_source,
    lead_source,
    campaign_id,
    amount,
    currency_id,
    amount_usdollar,
    amount_reporting,
    amount_conversion,
    close_date,
    sales_stage,
    probability,
    commit_stage,
    source_drop,
    source_file,
    source_line

from converted
