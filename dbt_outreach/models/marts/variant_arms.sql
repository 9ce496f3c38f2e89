-- One row per experiment and arm: the first emails (step 0) delivered with that arm and what
-- came back before the first follow-up went out (send_outcomes' window). A contract: the
-- experiments' `experiment_results` asset reads exactly these columns, with these types.
select
    cast(v.experiment as varchar) as experiment,
    cast(v.arm as varchar) as arm,
    cast(count(*) as integer) as sends,
    cast(sum(s.positive) as integer) as positive_replies,
    cast(sum(s.negative) as integer) as negative_replies,
    cast(sum(s.unsubscribed) as integer) as unsubscribes,
    cast(sum(s.bounced) as integer) as bounces
from {{ ref('send_outcomes') }} as s
inner join {{ ref('stg_send_variants') }} as v on v.send_key = s.send_key
where s.step = 0
group by v.experiment, v.arm
