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

)

select * from renamed
