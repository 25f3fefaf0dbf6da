{#-
    Every user's management chain, one row per user per ancestor, as
    int_sales_hierarchy places and names it (in intermediate, so that the forecast
    roll-up's intermediate models read it without reading a mart).
-#}

select * from {{ ref('int_sales_hierarchy') }}
