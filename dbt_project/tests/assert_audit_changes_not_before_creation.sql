{#-
    Reports logged changes dated before their opportunity was created (typically a
    migrated or re-imported record whose date_entered was reset).  The stage history
    then has a visit that starts before the creation visit: its days_in_stage can be
    negative.  A warning: the data is kept as exported.
-#}
{{ config(severity='warn') }}

select
    changes.opportunity_id,
    changes.field_name,
    changes.change_seq,
    changes.changed_at,
    creation.changed_at as created_at

from {{ ref('int_opportunity_changes') }} as changes
inner join {{ ref('int_opportunity_changes') }} as creation
    on creation.opportunity_id = changes.opportunity_id
    and creation.field_name = changes.field_name
    and creation.is_creation
where not changes.is_creation
    and changes.changed_at < creation.changed_at
