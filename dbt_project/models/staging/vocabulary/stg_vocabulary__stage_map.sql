{#-
    reached_sql is the funnel's SQL milestone as a property of a stage (docs/domain.md:
    the funnel): a deal in this stage has reached SQL when the stage is the stage map's
    sql stage or a later open one, or a won one.  A lost stage is not "beyond" SQL, even
    when its order is higher.  Derived here from the vocabulary's own columns, so a
    user's stage map needs no extra column; every consumer reads it from here.
-#}

with

source as (

    select * from {{ source('vocabulary', 'stage_map') }}

),

renamed as (

    select
        trim(crm_stage) as crm_stage,
        stage_order,
        trim(milestone) as milestone,
        is_closed,
        is_won
    from source

),

sql_stage as (

    select min(stage_order) as sql_stage_order
    from renamed
    where milestone = 'sql'

)

select
    renamed.crm_stage,
    renamed.stage_order,
    renamed.milestone,
    renamed.is_closed,
    renamed.is_won,
    coalesce(
        renamed.is_won
        or (not renamed.is_closed and renamed.stage_order >= sql_stage.sql_stage_order),
        false
    ) as reached_sql

from renamed
cross join sql_stage
