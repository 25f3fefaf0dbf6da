{#-
    Reports logged changes dated before their opportunity was created (typically a
    migrated or re-imported record whose date_entered was reset).  The stage history
    then has a visit that starts before the creation visit: its days_in_stage can be
    negative.  A warning: the data is kept as exported.

    Each opportunity's changes are compared with its own creation, so a weekly build reads
    the opportunities it recomputed (recomputed_rows_filter, macros/incremental.sql): the
    others' changes were compared when they were built. A full refresh reads every one.
-#}
{{ config(severity='warn') }}
{%- set recomputed = recomputed_rows_filter(graph.nodes['model.' ~ project_name ~ '.int_opportunity_changes'],
                                           'changes.opportunity_id') if execute else none %}

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
    {%- if recomputed %}
    and {{ recomputed }}
    {%- endif %}
