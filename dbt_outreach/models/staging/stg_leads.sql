-- One row per accepted submission (a lead, qualified or not), keyed by its opaque partition key.
select
    lead_key,
    person_hash,
    form_id as source_form,
    coalesce(submitted_at, received_at) as submitted_at,
    received_at,
    qualified,
    reason_code,
    icp_score,
    icp_bucket,
    domain_verified,
    mailbox_hash,
    first_drafted_at
from {{ source('raw', 'leads') }}
