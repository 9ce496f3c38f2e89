-- submitted -> qualified -> drafted -> approved -> sent -> replied -> positive
{% set stages = ['submitted', 'qualified', 'drafted', 'approved', 'sent', 'replied', 'positive'] %}
with leads as (select * from {{ ref('lead_outcomes') }}),

counts as (
    {% for stage in stages %}
    select
        {{ loop.index }} as stage_order,
        '{{ stage }}' as stage,
        {% if stage == 'submitted' %}count(*){% else %}sum(case when {{ stage }} then 1 else 0 end){% endif %}
            as leads
    from leads
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select
    stage_order,
    stage,
    coalesce(leads, 0) as leads,
    1.0 * coalesce(leads, 0) / nullif((select count(*) from leads), 0) as share_of_submitted
from counts
