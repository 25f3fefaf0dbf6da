{#-
    Every user's management chain as it is now, one row per user per ancestor, as
    int_sales_hierarchy places and names it (in intermediate, so that the forecast
    roll-up's intermediate models read it without reading a mart).  Earlier chains
    (int_sales_hierarchy's past periods) are what the roll-up of a past week uses.
-#}

select {{ star_except(ref('int_sales_hierarchy'), ['hierarchy_valid_from', 'hierarchy_valid_to']) }}
from {{ ref('int_sales_hierarchy') }}
where hierarchy_valid_to is null
