{#-
    The lead funnel, one row per entry, as int_funnel_entry_figures defines it (the
    milestones of int_funnel_milestones, the furthest milestone, durations in days).
    No personal data: the lead is named by its id only.
-#}

select * from {{ ref('int_funnel_entry_figures') }}
