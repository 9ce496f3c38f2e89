-- The send ledger: one row per lead and step (0 = the first email), with the voice profile
-- version its draft was written in (0: the default voice).
select
    send_key,
    lead_key,
    step,
    mode,
    state,
    mailbox_hash,
    voice_version,
    claimed_at,
    settled_at,
    state in ('sent', 'drafted') as delivered
from {{ source('raw', 'sends') }}
