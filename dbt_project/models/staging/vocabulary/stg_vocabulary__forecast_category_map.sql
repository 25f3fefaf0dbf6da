with

source as (

    select * from {{ source('vocabulary', 'forecast_category_map') }}

),

renamed as (

    select
        lower(trim(crm_value)) as crm_value,
        trim(forecast_category) as forecast_category,
        trim(forecast_category_label) as forecast_category_label
    from source

)

select * from renamed
