-- Reply, positive-reply, unsubscribe and bounce rates per delivered email, by one dimension
-- at a time (long format: `dimension`, `value`).
{% set dimensions = {
    'icp_bucket': 'icp_bucket',
    'approval_rule': 'approval_rule',
    'approval_path': 'approval_path',
    'mailbox': 'mailbox_hash',
    'follow_up_step': 'step',
    'send_hour': 'send_hour',
    'send_weekday': 'send_weekday',
} %}
with sends as (
    select s.*, l.icp_bucket, l.approval_rule, l.approval_path
    from {{ ref('send_outcomes') }} as s
    inner join {{ ref('lead_outcomes') }} as l on l.lead_key = s.lead_key
),

grouped as (
    {% for name, expression in dimensions.items() %}
    select
        '{{ name }}' as dimension,
        cast(s.{{ expression }} as varchar) as value,
        count(*) as sends,
        sum(s.replied) as replies,
        sum(s.positive) as positive_replies,
        sum(s.negative) as negative_replies,
        sum(s.unsubscribed) as unsubscribes,
        sum(s.bounced) as bounces
    from sends as s
    group by cast(s.{{ expression }} as varchar)
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select
    dimension,
    coalesce(value, 'none') as value,
    sends,
    replies,
    positive_replies,
    negative_replies,
    unsubscribes,
    bounces,
    1.0 * replies / sends as reply_rate,
    1.0 * positive_replies / sends as positive_reply_rate,
    1.0 * negative_replies / sends as negative_reply_rate,
    1.0 * unsubscribes / sends as unsubscribe_rate,
    1.0 * bounces / sends as bounce_rate
from grouped
