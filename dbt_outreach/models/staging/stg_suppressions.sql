-- Salted address hashes we must never write to again, with why (erasures are not exported).
select
    person_hash,
    reason,
    suppressed_at
from {{ source('raw', 'suppressions') }}
