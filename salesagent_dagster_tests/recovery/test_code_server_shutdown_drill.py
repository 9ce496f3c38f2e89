"""SIGTERM to the gRPC code server the daemon uses (production's `user_code`: `dagster
code-server start`, with the run workers it starts) in the middle of a burst loses no lead and
sends nothing twice: stop it, start it again on the same port, count (issue 17).

The daemon stays up throughout, as in compose when only `user_code` is restarted: its sensor
ticks and run launches fail while the server is gone, and resume against the new one.
"""

from __future__ import annotations

import time
from contextlib import ExitStack

import pytest

from salesagent_dagster.local.bench_daemon import (
    BENCH_DOMAIN,
    bench_home,
    code_server_workspace,
    daemon_environment,
    free_port,
    running_code_server,
    running_daemon,
    wait_for_delivery,
)
from salesagent_dagster.local.demo_seed import add_submission, default_form_id
from salesagent_dagster.local.sandbox_stack import running_sandbox
from salesagent_dagster_tests.recovery.drill_counts import (
    app_db_counts,
    delivered_among,
    messages_per_recipient,
    wait_for_settled_runs,
    wait_until,
)

BURST = 6


# Two code server starts, a daemon and a burst: over the suite's 300 s on a loaded box.
@pytest.mark.timeout(900)
def test_sigterm_to_the_code_server_mid_burst_loses_no_lead_and_sends_nothing_twice():
    addresses = {f"code-stop-{n}@{BENCH_DOMAIN}" for n in range(BURST)}
    began = time.monotonic()
    with bench_home("salesagent-code-stop-") as home, running_sandbox() as stack:
        form_id = default_form_id(stack.hubspot.url)
        env = daemon_environment(stack, home)
        port, log = free_port(), home / "code_server.log"
        workspace = code_server_workspace(home, port)
        with ExitStack() as processes:
            first_server = processes.enter_context(ExitStack())
            first_server.enter_context(running_code_server(env, log, port))
            processes.enter_context(running_daemon(stack, home, workspace=workspace))
            for address in sorted(addresses):
                add_submission(stack.hubspot.url, {"email": address, "firstname": "Code"}, form_id)
            # Mid-burst: some delivered, the rest queued or running when the signal comes.
            wait_until(
                lambda: delivered_among(stack.gmail.url, addresses) >= 2, 300, home / "daemon.log"
            )
            before = delivered_among(stack.gmail.url, addresses)
            stopping = time.monotonic()
            first_server.close()  # SIGTERM to its group: the server and its run workers
            stop_seconds = time.monotonic() - stopping
            processes.enter_context(running_code_server(env, log, port))
            restarted = time.monotonic() - stopping
            delivered = wait_for_delivery(stack.gmail.url, addresses, timeout_s=600)
            recovered = time.monotonic() - stopping
            # A run cut short after its lead's email went is still resumed: no false alarm.
            runs = wait_for_settled_runs(home, timeout_s=120)

        submissions, leads = app_db_counts(home)
        counts = messages_per_recipient(stack.gmail.url)
        print(
            f"\ncode server stopped after {before}/{BURST} delivered, in {stop_seconds:.1f} s; "
            f"serving again {restarted:.1f} s after the signal; all delivered "
            f"{recovered:.1f} s after it; runs: {runs['runs']}, {runs['failed']} failed, "
            f"{runs['resumed']} resumed, {runs['retried']} retried by Dagster, "
            f"{runs['dead letters']} dead letters once resumed; "
            f"{[k for k in runs if k.startswith('failed because')]}; "
            f"drill {time.monotonic() - began:.0f} s"
        )
        assert set(delivered) == addresses, log.read_text()[-3000:]  # the runs log there
        assert runs["dead letters"] == 0, runs
        assert len(submissions) == BURST and set(submissions.values()) == {1}
        assert {a: leads[a] for a in addresses} == dict.fromkeys(addresses, 1)
        assert {a: counts[a] for a in addresses} == dict.fromkeys(addresses, 1)
