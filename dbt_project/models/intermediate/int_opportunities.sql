{#-
    One row per opportunity (those in stg_sugarcrm__opportunities: not deleted), with the
    three things every mart needs in one agreed form:
    - amount_reporting: the amount in the reporting currency.  The CRM's own conversion
      (amount_usdollar) when it exported one, else the amount at the rate valid when the
      opportunity was created (macros/currency.sql), in cents; reporting_rate is the
      rate that amount stands at.  The weekly state converts an earlier amount of a
      CRM-converted deal at the CRM's ratio, any other deal's at each week end's rate.
    - motion: hunting or farming (docs/domain.md: hunting and farming), from the
      opportunity type, else from the account's won deals.
    - history_source: where its change history comes from (int_opportunity_changes).

    Incremental by opportunity (macros/incremental.sql: opportunity_incremental_config): a
    weekly run rebuilds the rows of the opportunities int_changed_opportunities lists,
    which holds every deal whose row here a load can change: its own record, history or
    rate at creation, and its account's first win.  The first wins are still found over
    every opportunity.
-#}

{{ opportunity_incremental_config() }}

with

opportunities as (

    select * from {{ ref('stg_sugarcrm__opportunities') }}

),

currency_rate_periods as (

    select * from {{ ref('int_currency_rate_periods') }}

),

opportunity_type_map as (

    select * from {{ ref('stg_vocabulary__opportunity_type_map') }}

),

stage_map as (

    select * from {{ ref('stg_vocabulary__stage_map') }}

),

-- Both this and with_rate read only the listed deals (the final inner join would narrow them
-- anyway): the distinct here would otherwise read every change of every deal.
history_sources as (

    select distinct opportunity_id, history_source from {{ ref('int_opportunity_changes') }}
    where {{ only_changed_opportunities('opportunity_id') }}

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

with_rate as (

    select
        opportunities.*,
        -- The rate valid when the opportunity was created.
        currency_rate_periods.rate as rate_at_creation,
        {{ currency_conversion('opportunities.currency_id', 'currency_rate_periods.rate') }} as currency_conversion

    from opportunities
    left join currency_rate_periods
        on currency_rate_periods.currency_id = opportunities.currency_id
        and currency_rate_periods.valid_from <= cast(opportunities.created_at as date)
        and (currency_rate_periods.valid_to is null
            or cast(opportunities.created_at as date) < currency_rate_periods.valid_to)
    where {{ only_changed_opportunities('opportunities.opportunity_id') }}

),

converted as (

    select
        with_rate.*,

        case
            when with_rate.amount_usdollar is not null then {{ reporting_cents('with_rate.amount_usdollar') }}
            else {{ at_reporting_rate('with_rate.amount', reporting_rate('with_rate.currency_id', 'with_rate.rate_at_creation')) }}
        end as amount_reporting,

        case
            when with_rate.amount_usdollar is not null then 'amount_usdollar'
            else with_rate.currency_conversion
        end as amount_conversion,

        -- The rate amount_reporting stands at: the CRM's own (amount_usdollar / amount,
        -- unknown for a zero amount), 1 for the reporting currency, else the rate found.
        case
            when with_rate.amount_usdollar is not null
                then case when with_rate.amount <> 0 then cast(with_rate.amount_usdollar as double) / cast(with_rate.amount as double) end
            else cast({{ reporting_rate('with_rate.currency_id', 'with_rate.rate_at_creation') }} as double)
        end as reporting_rate

    from with_rate

)

select
    converted.opportunity_id,
    converted.opportunity_name,
    converted.created_at,
    converted.modified_at,
    converted.owner_user_id,
    converted.account_id,
    converted.opportunity_type,
    case
        when opportunity_type_map.motion is not null then opportunity_type_map.motion
        when account_first_win.first_won_close_date < cast(converted.created_at as date)
            then 'farming'
        else 'hunting'
    end as motion,
    case
        when opportunity_type_map.motion is not null then 'opportunity_type'
        else 'account_history'
    end as motion_source,
    converted.lead_source,
    converted.campaign_id,
    converted.amount,
    converted.currency_id,
    converted.amount_usdollar,
    converted.amount_reporting,
    converted.amount_conversion,
    converted.reporting_rate,
    converted.close_date,
    converted.sales_stage,
    converted.probability,
    converted.commit_stage,
    history_sources.history_source

from converted
left join opportunity_type_map
    on opportunity_type_map.opportunity_type = converted.opportunity_type
left join account_first_win
    on account_first_win.account_id = converted.account_id
inner join history_sources
    on history_sources.opportunity_id = converted.opportunity_id
