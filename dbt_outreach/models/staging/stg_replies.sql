-- Mail that answered one of our sends (matched to a lead); its class, never its text.
select
    reply_key,
    lead_key,
    kind,
    reason,
    received_at,
    kind in ('positive', 'question', 'not_now', 'negative') as is_human
from {{ source('raw', 'replies') }}
