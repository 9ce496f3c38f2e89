"""SIGTERM to the daemon (with its code server and run workers: its whole process group, as a
container stop sends it) in the middle of a burst loses no lead and sends nothing twice:
stop, start again on the same instance and app DB, count (issue 17)."""

from __future__ import annotations

import time

import pytest

from salesagent_dagster.local.bench_daemon import (
    BENCH_DOMAIN,
    bench_home,
    running_daemon,
    wait_for_delivery,
)
from salesagent_dagster.local.demo_seed import add_submission, default_form_id
from salesagent_dagster.local.sandbox_stack import running_sandbox
from salesagent_dagster_tests.recovery.drill_counts import (
    delivered_among,
    messages_per_recipient,
    wait_until,
)

BURST = 8


# Two daemon starts and a burst: minutes on a loaded 2-core box, past the suite's 300 s.
@pytest.mark.timeout(900)
def test_sigterm_to_the_daemon_mid_burst_loses_no_lead_and_sends_nothing_twice():
    addresses = {f"shutdown-{n}@{BENCH_DOMAIN}" for n in range(BURST)}
    with bench_home("salesagent-shutdown-") as home, running_sandbox() as stack:
        form_id = default_form_id(stack.hubspot.url)
        with running_daemon(stack, home):
            for address in sorted(addresses):
                add_submission(stack.hubspot.url, {"email": address, "firstname": "Stop"}, form_id)
            # Mid-burst: some delivered, the rest queued or in flight when the signal comes.
            wait_until(
                lambda: delivered_among(stack.gmail.url, addresses) >= 2, 300, home / "daemon.log"
            )
            before = delivered_among(stack.gmail.url, addresses)
            stopped = time.monotonic()
        print(f"\nstopped after {before}/{BURST} delivered, in {time.monotonic() - stopped:.1f} s")

        with running_daemon(stack, home):
            delivered = wait_for_delivery(stack.gmail.url, addresses, timeout_s=600)

        counts = messages_per_recipient(stack.gmail.url)
        assert set(delivered) == addresses, (home / "daemon.log").read_text()[-3000:]
        assert {address: counts[address] for address in addresses} == dict.fromkeys(addresses, 1)
