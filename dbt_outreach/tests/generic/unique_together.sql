{# No two rows share the values of `columns` (dbt_utils' unique_combination_of_columns, for
   one model-level test without a package to install). #}
{% test unique_together(model, columns) %}
select {{ columns | join(', ') }}
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
