{#-
    Every version of a user's reporting line that the users exports held, across drops
    (stg_sugarcrm__users keeps only the version in force).  A version is in force from
    its date_modified (the drop's date when the file has none) until the next version
    that changes reports_to; exports of an unchanged line are one version.  A user's
    first known version is taken as in force since always (valid_from null): nothing
    earlier is known.  int_user_hierarchy_periods builds the chain of each period.
-#}

with

source as (

    select * from {{ source('raw', 'users') }}

),

renamed as (

    select
        {{ clean_text('id') }} as user_id,
        {{ clean_text('reports_to_id') }} as reports_to_user_id,
        coalesce(date_modified, {{ dbt.safe_cast('left(_drop, 10)', dbt.type_timestamp()) }}) as effective_at,
        _drop as source_drop,
        _file as source_file,
        _line as source_line
    from source

),

-- The order of latest_versions (macros/staging.sql): version date, then drop, file, line.
ordered as (

    select
        *,
        lag(reports_to_user_id) over user_versions as previous_reports_to_user_id,
        row_number() over user_versions as version_seq
    from renamed
    where user_id is not null
    window user_versions as (
        partition by user_id order by effective_at, source_drop, source_file, source_line
    )

),

changes as (

    select *
    from ordered
    where version_seq = 1
        or reports_to_user_id is distinct from previous_reports_to_user_id

)

select
    user_id,
    reports_to_user_id,
    case when version_seq = 1 then null else effective_at end as valid_from,
    lead(effective_at) over (partition by user_id order by version_seq) as valid_to,
    source_drop,
    source_file,
    source_line
from changes
