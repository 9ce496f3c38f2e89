{{ config(materialized='view') }}
-- One row per delivered email (first email and follow-ups): what came back before the next
-- step went out. A view: erasing raw rows removes them here at once.
with sends as (
    select
        s.*,
        lead(s.claimed_at) over (partition by s.lead_key order by s.step) as next_claimed_at
    from {{ ref('stg_sends') }} as s
    where s.delivered
),

answers as (
    select
        s.send_key,
        max(case when r.is_human then 1 else 0 end) as replied,
        max(case when r.kind = 'positive' then 1 else 0 end) as positive,
        max(case when r.kind = 'negative' then 1 else 0 end) as negative,
        max(case when r.kind = 'unsubscribe' then 1 else 0 end) as unsubscribed,
        max(case when r.kind = 'bounce_hard' then 1 else 0 end) as bounced,
        min(case when r.is_human then r.received_at end) as first_reply_at
    from sends as s
    inner join {{ ref('stg_replies') }} as r
        on r.lead_key = s.lead_key
        and r.received_at >= s.claimed_at
        and (s.next_claimed_at is null or r.received_at < s.next_claimed_at)
    group by s.send_key
),

-- One-click unsubscribes and hard bounces suppress the person without a reply row.
suppressed as (
    select
        s.send_key,
        max(case when p.reason = 'unsubscribed' then 1 else 0 end) as unsubscribed,
        max(case when p.reason = 'bounced' then 1 else 0 end) as bounced
    from sends as s
    inner join {{ ref('stg_leads') }} as l on l.lead_key = s.lead_key
    inner join {{ ref('stg_suppressions') }} as p
        on p.person_hash = l.person_hash
        and p.suppressed_at >= s.claimed_at
        and (s.next_claimed_at is null or p.suppressed_at < s.next_claimed_at)
    group by s.send_key
)

select
    s.send_key,
    s.lead_key,
    s.step,
    s.mode,
    s.mailbox_hash,
    s.voice_version,
    s.claimed_at,
    s.settled_at,
    cast(extract(hour from s.claimed_at) as integer) as send_hour,
    cast(extract(dow from s.claimed_at) as integer) as send_weekday,
    coalesce(a.replied, 0) as replied,
    coalesce(a.positive, 0) as positive,
    coalesce(a.negative, 0) as negative,
    greatest(coalesce(a.unsubscribed, 0), coalesce(p.unsubscribed, 0)) as unsubscribed,
    greatest(coalesce(a.bounced, 0), coalesce(p.bounced, 0)) as bounced,
    case
        when a.first_reply_at is not null
            then {{ dbt.datediff('s.claimed_at', 'a.first_reply_at', 'second') }}
    end as seconds_to_reply
from sends as s
left join answers as a on a.send_key = s.send_key
left join suppressed as p on p.send_key = s.send_key
