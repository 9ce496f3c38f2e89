-- Form submitted -> first email in Gmail (sent, or drafted while real sends are off).
{% set buckets = speed_buckets() %}
with timed as (
    select seconds_to_send, speed_bucket
    from {{ ref('lead_outcomes') }}
    where seconds_to_send is not null
),

quantiles as (
    select
        count(*) as sent_leads,
        percentile_cont(0.5) within group (order by seconds_to_send) as p50_seconds,
        percentile_cont(0.95) within group (order by seconds_to_send) as p95_seconds
    from timed
)

{% for label, low, high in buckets %}
select
    {{ loop.index }} as bucket_order,
    '{{ label }}' as bucket,
    (select count(*) from timed where speed_bucket = '{{ label }}') as leads,
    q.sent_leads,
    q.p50_seconds,
    q.p95_seconds
from quantiles as q
{% if not loop.last %}union all{% endif %}
{% endfor %}
