-- The experiment arms a send went out with: one row per send and experiment (a draft may be
-- in several experiments at once); sends outside every experiment have no row.
select
    variant_key,
    send_key,
    lead_key,
    experiment,
    arm,
    experiment || ':' || arm as variant
from {{ source('raw', 'send_variants') }}
