"""SIGTERM to the edge service while HubSpot's workflow is POSTing signed submissions to
`/webhooks/hubspot` loses no lead and sends nothing twice: stop it mid-burst, start it again
on the same port, let the poller (the source of truth) run, count (issue 17).

The real parts: `salesagent serve` (uvicorn) and `dagster-daemon` as processes of their own,
the HubSpot emulator's workflow webhook (signed v3, retried on 5xx and on no answer with
HubSpot's growing delays), and the Gmail emulator.
"""

from __future__ import annotations

import signal
import threading
import time

import pytest

from salesagent_dagster.local.bench_daemon import (
    BENCH_DOMAIN,
    bench_home,
    daemon_environment,
    free_port,
    running_daemon,
    running_edge,
    wait_for_delivery,
)
from salesagent_dagster.local.demo_push import SANDBOX_HUBSPOT_CLIENT_SECRET, push_submissions_to
from salesagent_dagster.local.demo_seed import add_submission, default_form_id
from salesagent_dagster.local.sandbox_stack import running_sandbox
from salesagent_dagster.sandbox.hubspot_workflow_webhook import RETRY_DELAYS_SECONDS, Delivery
from salesagent_dagster_tests.recovery.drill_counts import (
    app_db_counts,
    messages_per_recipient,
    wait_for_settled_runs,
    wait_until,
)

BURST = 8
GAP_SECONDS = 1.0  # between two submissions: the burst spans the stop, the wait and the restart


def given_up(deliveries: list[Delivery]) -> set[str | None]:
    """Submissions HubSpot stopped retrying without an answer: only the poller brings them."""
    last = 1 + len(RETRY_DELAYS_SECONDS)
    return {d.conversion_id for d in deliveries if d.attempt == last and d.status is None}


# One daemon start, two edge starts and a burst: over the suite's 300 s on a loaded box.
@pytest.mark.timeout(900)
def test_sigterm_to_the_edge_mid_webhook_burst_loses_no_lead_and_sends_nothing_twice():
    addresses = [f"edge-stop-{n}@{BENCH_DOMAIN}" for n in range(BURST)]
    began = time.monotonic()
    with bench_home("salesagent-edge-stop-") as home, running_sandbox() as stack:
        form_id = default_form_id(stack.hubspot.url)
        env = daemon_environment(
            stack, home, {"HUBSPOT_CLIENT_SECRET": SANDBOX_HUBSPOT_CLIENT_SECRET}
        )
        port, edge_log = free_port(), home / "edge.log"
        conversions: list[str] = []

        def burst() -> None:
            for address in addresses:
                values = {"email": address, "firstname": "Edge"}
                conversions.append(add_submission(stack.hubspot.url, values, form_id))
                time.sleep(GAP_SECONDS)

        with running_daemon(stack, home):
            with running_edge(env, edge_log, port) as (url, edge):
                push_submissions_to(
                    stack.hubspot.url, f"{url}/webhooks/hubspot", SANDBOX_HUBSPOT_CLIENT_SECRET
                )
                webhook = stack.hubspot.workflow_webhook
                sender = threading.Thread(target=burst)
                sender.start()
                # Mid-burst: a few stored, the rest still to come when the signal arrives.
                wait_until(
                    lambda: sum(d.status == 200 for d in webhook.deliveries) >= 3, 120, edge_log
                )
                stopping = time.monotonic()
            stop_seconds = time.monotonic() - stopping
            answered_before = sum(d.status == 200 for d in webhook.deliveries)
            # Uvicorn finished its requests in flight and exited on the signal itself (it
            # re-raises SIGTERM once shut down), inside the grace period: never SIGKILLed.
            assert edge.returncode == -signal.SIGTERM, edge_log.read_text()[-3000:]
            assert "Finished server process" in edge_log.read_text()
            # Down long enough that HubSpot gives up on one submission (left to the poller)
            # while the later ones are still being retried.
            wait_until(lambda: len(given_up(webhook.deliveries)) >= 1, 60, edge_log)

            with running_edge(env, edge_log, port):
                restarted = time.monotonic() - stopping
                sender.join()
                webhook.wait(timeout_seconds=60)
                delivered = wait_for_delivery(stack.gmail.url, set(addresses), timeout_s=600)
            runs = wait_for_settled_runs(home, timeout_s=120)  # each run's last steps too

        deliveries = list(webhook.deliveries)
        pushed = {d.conversion_id for d in deliveries if d.status == 200}
        retried_in = {d.conversion_id for d in deliveries if d.status == 200 and d.attempt > 1}
        unanswered = [d for d in deliveries if d.status is None]
        assert given_up(deliveries) and pushed, "the drill should exercise both paths"
        submissions, leads = app_db_counts(home)
        counts = messages_per_recipient(stack.gmail.url)
        print(
            f"\nedge stopped after {answered_before}/{BURST} webhooks answered 200, "
            f"in {stop_seconds:.1f} s; answering again {restarted:.1f} s after the signal; "
            f"{len(pushed)}/{BURST} stored by the webhook ({len(retried_in)} of them on a retry), "
            f"{len(given_up(deliveries))} left to the poller; "
            f"{len(unanswered)} attempts unanswered and retried; "
            f"runs: {runs['runs']}, {runs['failed']} failed, {runs['resumed']} resumed, "
            f"{runs['retried']} retried by Dagster, {runs['dead letters']} dead letters "
            f"{[k for k in runs if k.startswith(('dead letter at', 'failed because'))]}; "
            f"drill {time.monotonic() - began:.0f} s"
        )
        # A refusal or a 5xx would be an answer the shutdown broke: only 200s and no-answers.
        assert {d.status for d in deliveries} <= {200, None}, deliveries
        assert set(delivered) == set(addresses), (home / "daemon.log").read_text()[-3000:]
        assert runs["dead letters"] == 0, runs
        assert dict(submissions) == dict.fromkeys(conversions, 1)
        assert {a: leads[a] for a in addresses} == dict.fromkeys(addresses, 1)
        assert {a: counts[a] for a in addresses} == dict.fromkeys(addresses, 1)
