{#-
    Every user's management chain as it is now, one row per user per ancestor, as
    int_sales_hierarchy places and names it (in intermediate, so that the forecast
    roll-up's intermediate models read it without reading a mart).  Earlier chains
    (int_sales_hierarchy's past periods) are what the roll-up of a past week uses.
-#}

select
    user_id, ancestor_user_id, depth, ancestor_level, user_level, user_name, user_title,
    ancestor_name, ancestor_title, manager_user_id, has_cycle, has_dangling_manager, is_under_company_root
from {{ ref('int_sales_hierarchy') }}
where hierarchy_valid_to is null
