-- An arm's outcomes are counts of its sends: none can exceed them, none is negative.
select *
from {{ ref('variant_arms') }}
where sends <= 0
    or positive_replies < 0 or positive_replies > sends
    or negative_replies < 0 or negative_replies > sends
    or unsubscribes < 0 or unsubscribes > sends
    or bounces < 0 or bounces > sends
