{{ config(materialized='view') }}
-- One row per lead: how far it went through the funnel, and how it was approved. A view, so
-- an erased lead is gone from it as soon as its raw rows are.
with decisions as (
    select
        lead_key,
        max(case when decided_by = 'rules' and outcome = 'auto_approve' then 1 else 0 end)
            as auto_approved,
        max(case when decided_by = 'operator' and outcome in ('approve', 'edit') then 1 else 0 end)
            as review_approved
    from {{ ref('stg_decisions') }}
    group by lead_key
),

latest_rule as (
    select lead_key, rule
    from (
        select
            lead_key,
            rule,
            row_number() over (partition by lead_key order by decided_at desc, decision_key desc)
                as newest
        from {{ ref('stg_decisions') }}
        where decided_by = 'rules'
    ) as ranked
    where newest = 1
),

first_email as (
    select lead_key, settled_at
    from {{ ref('stg_sends') }}
    where step = 0 and delivered
),

answers as (
    select
        lead_key,
        max(replied) as replied,
        max(positive) as positive
    from {{ ref('send_outcomes') }}
    group by lead_key
)

select
    l.lead_key,
    l.icp_bucket,
    l.submitted_at,
    l.qualified,
    l.first_drafted_at is not null as drafted,
    coalesce(d.auto_approved, 0) = 1 or coalesce(d.review_approved, 0) = 1 as approved,
    case
        when coalesce(d.review_approved, 0) = 1 then 'reviewed'
        when coalesce(d.auto_approved, 0) = 1 then 'auto'
        else 'none'
    end as approval_path,
    coalesce(r.rule, 'none') as approval_rule,
    f.settled_at is not null as sent,
    coalesce(a.replied, 0) = 1 as replied,
    coalesce(a.positive, 0) = 1 as positive,
    case
        when f.settled_at is not null
            then {{ dbt.datediff('l.submitted_at', 'f.settled_at', 'second') }}
    end as seconds_to_send,
    case
        when f.settled_at is not null
            then {{ speed_bucket(dbt.datediff('l.submitted_at', 'f.settled_at', 'second')) }}
    end as speed_bucket
from {{ ref('stg_leads') }} as l
left join decisions as d on d.lead_key = l.lead_key
left join latest_rule as r on r.lead_key = l.lead_key
left join first_email as f on f.lead_key = l.lead_key
left join answers as a on a.lead_key = l.lead_key
