select
    step_key,
    lead_key,
    step,
    state,
    reason,
    due_at,
    updated_at
from {{ source('raw', 'follow_up_steps') }}
