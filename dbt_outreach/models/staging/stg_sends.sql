-- The send ledger: one row per lead and step (0 = the first email).
select
    send_key,
    lead_key,
    step,
    mode,
    state,
    mailbox_hash,
    claimed_at,
    settled_at,
    state in ('sent', 'drafted') as delivered
from {{ source('raw', 'sends') }}
