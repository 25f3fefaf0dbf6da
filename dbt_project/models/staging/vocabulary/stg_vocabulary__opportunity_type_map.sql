with

source as (

    select * from {{ source('vocabulary', 'opportunity_type_map') }}

),

renamed as (

    select
        trim(opportunity_type) as opportunity_type,
        trim(motion) as motion
    from source

)

select * from renamed
