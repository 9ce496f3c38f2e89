"""The HubSpot half of an opt-out: queued durably with the suppression, pushed to the
communication preferences API, retried while HubSpot is down, done exactly once."""

from __future__ import annotations

import socket

from dagster import SkipReason, build_sensor_context
from sqlalchemy import select

from salesagent_dagster.defs.maintenance.hubspot_opt_out_sensor import hubspot_opt_outs
from salesagent_dagster.services.opt_out import (
    OptOutResult,
    honour_opt_out,
    sync_pending_hubspot_opt_outs,
)
from salesagent_dagster.store.database import session_scope
from salesagent_dagster.store.models import AuditEvent, Lead, Suppression
from salesagent_dagster_tests.edge.conftest import Edge, hubspot_resource
from salesagent_dagster_tests.edge.edge_server import one_click, wait_for
from salesagent_dagster_tests.edge.test_unsubscribe import (
    EMAIL,
    actions,
    hubspot_statuses,
    opted_out_in_hubspot,
)


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_hubspot_down_still_suppresses_and_the_sync_pushes_it_later_once(edge: Edge):
    key = edge.add_lead(EMAIL)
    edge.hubspot_emulator.add_fault("/communication-preferences/", "status", status=503, count=50)
    answer = one_click(edge.link(key))
    assert answer.status == 200 and "You are unsubscribed" in answer.body
    assert len(edge_suppressions(edge)) == 1
    # The push after the answer reached HubSpot and failed: the promise stays in the app DB.
    assert wait_for(lambda: edge.hubspot_emulator.faults.pending()[0]["count"] < 50)
    assert "hubspot_opt_out_pending" in actions(edge)
    assert "hubspot_opt_out_done" not in actions(edge)
    # Still down (HubSpot unreachable altogether): nothing done, still owed.
    assert (
        sync_pending_hubspot_opt_outs(edge.context.app_store, hubspot_resource(closed_port_url()))
        == 0
    )
    edge.hubspot_emulator.clear_faults()
    assert hubspot_statuses(edge) == {}
    assert sync_pending_hubspot_opt_outs(edge.context.app_store, edge.context.hubspot) == 1
    assert opted_out_in_hubspot(edge)
    assert sync_pending_hubspot_opt_outs(edge.context.app_store, edge.context.hubspot) == 0
    assert actions(edge).count("hubspot_opt_out_done") == 1


def test_an_opt_out_already_in_hubspot_counts_as_done(edge: Edge):
    """HubSpot answers 400 "already unsubscribed" to a repeat: the outcome we want."""
    key = edge.add_lead(EMAIL)
    edge.context.hubspot.opt_out_of_email(EMAIL, "unsubscribed elsewhere")
    result = honour_opt_out(edge.context.app_store, edge.context.hubspot, key,
                            source="mailto", actor="recipient")  # fmt: skip
    assert result == OptOutResult(known=True, suppressed=True, hubspot="done")
    (done,) = [row.details for row in audit_rows(edge) if row.action == "hubspot_opt_out_done"]
    assert done["already"] == 2 and done["unsubscribed"] == 0


def test_a_hard_bounce_suppresses_without_telling_hubspot(edge: Edge):
    key = edge.add_lead(EMAIL)
    store, hubspot = edge.context.app_store, edge.context.hubspot
    bounce = honour_opt_out(store, hubspot, key, source="hard_bounce", actor="mailbox")
    assert bounce == OptOutResult(known=True, suppressed=True, hubspot="not_requested")
    assert [reason for _, reason in edge_suppressions(edge)] == ["hard_bounce"]
    assert hubspot_statuses(edge) == {}
    assert honour_opt_out(store, hubspot, key, source="hard_bounce", actor="mailbox") == bounce
    assert actions(edge) == ["hard_bounce"]
    # A later "stop" from the same person is a withdrawal of consent: HubSpot hears it.
    reply = honour_opt_out(store, hubspot, key, source="reply", actor="recipient")
    assert reply == OptOutResult(known=True, suppressed=True, hubspot="done")
    assert opted_out_in_hubspot(edge)
    assert len(edge_suppressions(edge)) == 1


def test_an_erased_lead_abandons_its_pending_hubspot_opt_out(edge: Edge):
    key = edge.add_lead(EMAIL)
    queued = honour_opt_out(edge.context.app_store, None, key, source="reply", actor="recipient")
    assert queued.hubspot == "pending"
    with session_scope(edge.database_url) as session:  # erasure removes the address
        lead = session.get(Lead, key)
        assert lead is not None
        lead.email = None
    assert sync_pending_hubspot_opt_outs(edge.context.app_store, edge.context.hubspot) == 0
    assert "hubspot_opt_out_abandoned" in actions(edge)
    assert sync_pending_hubspot_opt_outs(edge.context.app_store, edge.context.hubspot) == 0
    assert hubspot_statuses(edge) == {}


def test_one_address_hubspot_refuses_does_not_hold_back_the_ones_behind_it(edge: Edge):
    store = edge.context.app_store
    first, second = edge.add_lead(EMAIL), edge.add_lead("bo@acme.io")
    for key in (first, second):  # queued, HubSpot not told yet
        assert honour_opt_out(store, None, key, source="reply", actor="recipient").hubspot == (
            "pending"
        )
    # HubSpot fails the oldest one's call once; the next in the queue still goes through.
    edge.hubspot_emulator.add_fault("/communication-preferences/v3/unsubscribe", "status",
                                    method="POST", status=503, count=1)  # fmt: skip
    assert sync_pending_hubspot_opt_outs(store, edge.context.hubspot) == 1
    assert sync_pending_hubspot_opt_outs(store, edge.context.hubspot) == 1
    assert actions(edge).count("hubspot_opt_out_done") == 2


def test_the_emulator_refuses_to_resubscribe_an_opted_out_address(edge: Edge):
    from hubspot.communication_preferences import (
        ApiException,
        PublicUpdateSubscriptionStatusRequest,
    )

    hubspot = edge.context.hubspot
    hubspot.opt_out_of_email(EMAIL, "why")
    (first, *_) = hubspot.active_subscription_ids()
    request = PublicUpdateSubscriptionStatusRequest(email_address=EMAIL, subscription_id=first)
    try:
        hubspot.client.communication_preferences.status_api.subscribe(request)
    except ApiException as exc:
        assert exc.status == 400
    else:
        raise AssertionError("resubscribed an address that opted out")
    assert wait_for(lambda: opted_out_in_hubspot(edge))


def edge_suppressions(edge: Edge) -> list[tuple[str, str]]:
    with session_scope(edge.database_url) as session:
        return [(s.email_hash, s.reason) for s in session.scalars(select(Suppression))]


def audit_rows(edge: Edge) -> list[AuditEvent]:
    with session_scope(edge.database_url) as session:
        return list(session.scalars(select(AuditEvent).order_by(AuditEvent.id)))


def test_the_maintenance_sensor_pushes_what_hubspot_missed(edge: Edge):
    key = edge.add_lead(EMAIL)
    edge.hubspot_emulator.add_fault("/communication-preferences/", "status", status=503, count=50)
    assert one_click(edge.link(key)).status == 200
    assert wait_for(lambda: edge.hubspot_emulator.faults.pending()[0]["count"] < 50)
    edge.hubspot_emulator.clear_faults()
    resources = {"app_store": edge.context.app_store, "hubspot": edge.context.hubspot}
    with build_sensor_context(resources=resources) as context:
        first = hubspot_opt_outs(context)
    with build_sensor_context(resources=resources) as context:
        second = hubspot_opt_outs(context)
    assert isinstance(first, SkipReason) and first.skip_message.startswith("1 ")
    assert isinstance(second, SkipReason) and second.skip_message.startswith("0 ")
    assert opted_out_in_hubspot(edge)
    assert actions(edge).count("hubspot_opt_out_done") == 1
