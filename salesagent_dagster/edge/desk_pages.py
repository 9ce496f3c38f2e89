"""The review desk's pages: the queue, one lead, and the actions on them.

Every action goes through the `review_lead` job exactly as `salesagent review` launches it
(services.review.run_review; an edit first saves the new version with `edit_draft`, so its
text never enters run config, I-6), with the signed-in operator as the reviewer and a proof
the run checks before it records them as signed in. The page answers when the run has ended,
with what the run decided. A hold (an approved email waiting out the undo window) needs no
run: it is `services.undo_window.hold`, as `salesagent review hold` calls it, with the same
proof.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from salesagent_dagster.domain.mime_message import text_to_html
from salesagent_dagster.domain.safety.findings import HARD_RULES
from salesagent_dagster.domain.send_authorization import HOLD
from salesagent_dagster.edge.context import EdgeContext
from salesagent_dagster.edge.desk_oidc import oidc_routes
from salesagent_dagster.edge.desk_session import DeskSessions, Operator, requires
from salesagent_dagster.edge.desk_signin import sign_in_routes
from salesagent_dagster.edge.desk_views import STATIC_DIR, STATIC_PATH, render
from salesagent_dagster.services import undo_window
from salesagent_dagster.services.mailboxes import lead_gmail
from salesagent_dagster.services.operators import Role, identity_proof
from salesagent_dagster.services.review import (
    ReviewAction,
    ReviewRequest,
    ReviewRun,
    Sender,
    edit_draft,
)
from salesagent_dagster.services.review_queue import QueueFilter, filter_queue, queue_entries
from salesagent_dagster.store import controls, desk_reads, drafts, leads, reviews, send_ledger

EDIT_REASON = "edited on the desk"  # an edit's why is its new version, kept beside the old


def desk_routes(context: EdgeContext) -> list[BaseRoute]:
    sessions = DeskSessions(context)
    reader, actor, admin = (
        requires(sessions, Role.viewer), requires(sessions, Role.reviewer),
        requires(sessions, Role.admin),
    )  # fmt: skip

    def wanted(values: Any) -> QueueFilter:
        try:
            age = max(0.0, float(values.get("age") or 0))
        except ValueError:
            age = 0.0
        return QueueFilter(
            mailbox=str(values.get("mailbox", "")), rule=str(values.get("rule", "")),
            failing_check=str(values.get("check", "")), min_age_minutes=age,
            search=str(values.get("q", ""))[:200],
        )  # fmt: skip

    def queue_view(query: Any) -> dict[str, Any]:
        with context.app_store.session() as session:
            everything = queue_entries(session, context.review_sla_minutes)
            kill_on = controls.kill_switch_on(session, forced=context.outreach.kill_switch_forced)
        chosen = filter_queue(everything, wanted(query))
        return {
            "entries": chosen,
            "total": len(everything),
            "mailboxes": sorted({e.mailbox for e in everything if e.mailbox}),
            "rules": sorted({r for e in everything for r in e.rules_fired}),
            "checks": sorted({name for e in everything for name, _ in e.failing}),
            "filters": {k: query.get(k, "") for k in ("mailbox", "rule", "check", "age", "q")},
            "sla": context.review_sla_minutes,
            "kill_switch_on": kill_on,
        }

    @reader
    async def queue(request: Request, operator: Operator) -> Response:
        view = await run_in_threadpool(queue_view, request.query_params)
        flash, _ = await sessions.take_flash(request)
        response = render(request, "desk/queue.html", operator=operator, flash=flash, **view)
        if flash:
            await _clear_flash(request, response)
        return response

    @actor
    async def bulk_preview(request: Request, operator: Operator) -> Response:
        view = await run_in_threadpool(queue_view, request.query_params)
        return render(request, "desk/bulk.html", operator=operator, **view)

    def lead_view(key: str) -> dict[str, Any] | None:
        with context.app_store.session() as session:
            lead = leads.get_lead(session, key)
            draft = drafts.latest_draft(session, key)
            if lead is None or draft is None:
                return None
            checks = drafts.safety_results_for(session, key, draft.version)
            failing_rules = sorted({f["rule"] for c in checks if not c.passed for f in c.findings})
            return {
                "key": key,
                "lead": lead,
                "enrichment": leads.get_enrichment(session, key),
                "draft": draft,
                "draft_html": text_to_html(draft.body_text),
                "checks": checks,
                "soft_rules": [r for r in failing_rules if r not in HARD_RULES],
                "hard_rules": [r for r in failing_rules if r in HARD_RULES],
                "decision": drafts.latest_decision(session, key),
                "versions": desk_reads.draft_versions(session, key),
                "reviews": reviews.reviews_for(session, key),
                "send": send_ledger.get_entry(session, key),
                "audit": desk_reads.audit_for(session, key),
                "waiting": any(q.partition_key == key for q in reviews.review_queue(session)),
                "window_closes": undo_window.waiting_in_window(session, key),
            }

    @reader
    async def lead_page(request: Request, operator: Operator) -> Response:
        view = await run_in_threadpool(lead_view, request.path_params["key"])
        if view is None:
            return PlainTextResponse("no such lead, or it has no draft yet", 404)
        flash, _ = await sessions.take_flash(request)
        response = render(request, "desk/lead.html", operator=operator, flash=flash, **view)
        if flash:
            await _clear_flash(request, response)
        return response

    async def _clear_flash(request: Request, response: Response) -> None:
        data = await run_in_threadpool(sessions.data, request)
        data.pop("flash", None)
        if data:
            sessions.write(request, response, data)

    def act(key: str, form: FormData, operator: Operator) -> str:
        """One approve / edit / reject / hold as the CLI makes it; the sentence the page
        shows."""
        action = str(form.get("action", ""))
        if action not in ReviewAction.__members__ and action != HOLD:
            return f"unknown action {action!r}"
        try:
            version = int(str(form.get("version", "0")))
        except ValueError:
            return "the form has no draft version; reload the lead"
        reason = str(form.get("reason", "")).strip()
        overrides = [str(rule) for rule in form.getlist("override")]
        with context.app_store.session() as session:
            latest = drafts.latest_draft(session, key)
            if latest is None:
                return "this lead has no draft"
            if version != latest.version:
                # A second tab's older copy: never act on text the operator did not read.
                return (
                    f"you read version {version} but the latest is {latest.version}; "
                    "nothing was done: read the latest and decide again"
                )
            proof = identity_proof(session, operator.name, key)
            if action == HOLD:  # no run: the undo window's hold, as the CLI's
                held = undo_window.hold(session, key, operator.name, reason, "signed_in", proof)
                return f"{key}: {held.explanation}"
            if context.run_review is None:
                return "reviews are not enabled on this edge (it cannot start review runs)"
            if action == ReviewAction.edit.value:
                subject = str(form.get("subject", "")).strip()
                body = str(form.get("body", "")).replace("\r\n", "\n")
                if subject == latest.subject and body.strip() == latest.body_text.strip():
                    return "nothing changed; not edited"
                reason = reason or EDIT_REASON
                if context.gmail is None:
                    return "editing needs the Gmail settings on this edge"
                gmail = lead_gmail(context.app_store, context.gmail, key)
                version = edit_draft(
                    session, key,
                    ReviewRequest(ReviewAction.edit, operator.name, reason,
                                  new_subject=subject, new_body=body),
                    context.outreach, Sender(gmail.sender_email, gmail.sender_name),
                ).version  # fmt: skip
        outcome = context.run_review(  # an edit's version is committed before its run
            key,
            {
                "action": action, "reviewer": operator.name, "reason": reason,
                "draft_version": version, "override_rules": overrides,
                "reviewer_kind": "signed_in", "identity_proof": proof,
            },
        )  # fmt: skip
        return verdict(key, outcome)

    @actor
    async def lead_action(request: Request, operator: Operator) -> Response:
        key = request.path_params["key"]
        message = await run_in_threadpool(act, key, await request.form(), operator)
        response = RedirectResponse("/review", 303)
        await sessions.flash(request, response, message)
        return response

    @actor
    async def bulk_approve(request: Request, operator: Operator) -> Response:
        form = await request.form()
        chosen = [str(item) for item in form.getlist("lead")]
        messages = []
        for item in chosen[:100]:
            key, _, version = item.partition(":")
            one = FormData(
                [
                    ("action", "approve"),
                    ("version", version),
                    ("reason", str(form.get("reason", ""))),
                ]
            )
            messages.append(await run_in_threadpool(act, key, one, operator))
        response = RedirectResponse("/review", 303)
        await sessions.flash(request, response, " · ".join(messages) or "nothing was chosen")
        return response

    @admin
    async def kill_switch(request: Request, operator: Operator) -> Response:
        form = await request.form()
        reason = str(form.get("reason", "")).strip()
        turn_on = form.get("state") == "on"
        if not reason:
            message = "the kill switch needs a reason; nothing changed"
        else:

            def flip() -> None:
                with context.app_store.session() as session:
                    controls.set_control(
                        session, controls.KILL_SWITCH, turn_on, actor=operator.name, reason=reason
                    )

            await run_in_threadpool(flip)
            message = f"kill switch {'ON: nothing will be sent' if turn_on else 'off'}"
        response = RedirectResponse("/review", 303)
        await sessions.flash(request, response, message)
        return response

    return [
        *sign_in_routes(context, sessions),
        *oidc_routes(context, sessions),
        Route("/review", queue, methods=["GET"]),
        Route("/review/bulk", bulk_preview, methods=["GET"]),
        Route("/review/bulk", bulk_approve, methods=["POST"]),
        Route("/review/kill-switch", kill_switch, methods=["POST"]),
        Route("/review/lead/{key}", lead_page, methods=["GET"]),
        Route("/review/lead/{key}", lead_action, methods=["POST"]),
        Mount(STATIC_PATH, StaticFiles(directory=STATIC_DIR), name="desk-static"),
    ]


def verdict(key: str, outcome: ReviewRun) -> str:
    """What the run decided, in the words the CLI uses."""
    if outcome.metadata.get("action") == "reject" and outcome.metadata.get("accepted"):
        said = "rejected"
    else:
        said = f"{'approved' if outcome.approved else 'refused'}: {outcome.explanation}"
    findings = "; ".join(outcome.metadata.get("findings") or [])
    return f"{key}: {said}" + (f" ({findings})" if findings else "")
