{# The speed-to-lead histogram's buckets (label, from second, to second or none), in order:
   speed_to_lead counts leads by them, lead_outcomes labels each lead with one, so a report
   over a window of leads counts the same buckets. #}
{% macro speed_buckets() %}
    {{ return([
        ('under 10 s', 0, 10), ('10-30 s', 10, 30), ('30-60 s', 30, 60),
        ('1-5 min', 60, 300), ('5-60 min', 300, 3600), ('over 1 h', 3600, none),
    ]) }}
{% endmacro %}

{% macro speed_bucket(seconds) %}
    case
        {% for label, low, high in speed_buckets() %}
        when {{ seconds }} >= {{ low }}{% if high is not none %} and {{ seconds }} < {{ high }}{% endif %}
            then '{{ label }}'
        {% endfor %}
    end
{% endmacro %}
