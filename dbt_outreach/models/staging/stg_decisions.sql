-- The rules engine's decisions and operators' reviews, one row each.
select
    decision_key,
    lead_key,
    decided_by,
    outcome,
    draft_version,
    confidence,
    threshold,
    coalesce(rule, 'none') as rule,
    decided_at
from {{ source('raw', 'decisions') }}
