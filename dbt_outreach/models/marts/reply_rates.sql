-- Reply, positive-reply, unsubscribe and bounce rates per delivered email, by one dimension
-- at a time (long format: `dimension`, `value`). A send in several experiments counts once
-- under each of its arms (`variant`: experiment:arm); a send in none counts under 'none'.
-- `voice_profile` is the mailbox's voice profile version: mailbox_hash:v<version>.
{% set dimensions = {
    'icp_bucket': ('sends', 'icp_bucket'),
    'approval_rule': ('sends', 'approval_rule'),
    'approval_path': ('sends', 'approval_path'),
    'mailbox': ('sends', 'mailbox_hash'),
    'voice_profile': ('sends', "mailbox_hash || ':v' || cast(coalesce(voice_version, 0) as varchar)"),
    'variant': ('variant_sends', 'variant'),
    'follow_up_step': ('sends', 'step'),
    'send_hour': ('sends', 'send_hour'),
    'send_weekday': ('sends', 'send_weekday'),
} %}
with sends as (
    select s.*, l.icp_bucket, l.approval_rule, l.approval_path
    from {{ ref('send_outcomes') }} as s
    inner join {{ ref('lead_outcomes') }} as l on l.lead_key = s.lead_key
),

variant_sends as (
    select s.*, v.variant
    from sends as s
    left join {{ ref('stg_send_variants') }} as v on v.send_key = s.send_key
),

grouped as (
    {% for name, (relation, expression) in dimensions.items() %}
    select
        '{{ name }}' as dimension,
        cast({{ expression }} as varchar) as value,
        count(*) as sends,
        sum(s.replied) as replies,
        sum(s.positive) as positive_replies,
        sum(s.negative) as negative_replies,
        sum(s.unsubscribed) as unsubscribes,
        sum(s.bounced) as bounces
    from {{ relation }} as s
    group by cast({{ expression }} as varchar)
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
