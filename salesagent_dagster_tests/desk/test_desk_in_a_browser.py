"""An operator clears a queue of five leads in a real browser (Debian's chromium driven by
playwright-core): approve, edit, reject, an approval a hard rule refuses, a bulk approve;
the Gmail emulator gets exactly the three emails that should go, and each decision takes at
most three actions from the queue. Screenshots go to docs/screenshots/.

Skipped when chromium, node or the npm packages are missing locally; under CI (`CI` set)
that is a failure, as for the Postgres fixture."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from dagster import DagsterInstance

from salesagent_dagster.edge.context import EdgeContext
from salesagent_dagster.local.demo_seed import add_submission
from salesagent_dagster.local.desk_edge import desk_context
from salesagent_dagster.services.operators import hash_password
from salesagent_dagster.settings import resources_from_env
from salesagent_dagster.store import reviews, suppression
from salesagent_dagster.store.operators import save_operator
from salesagent_dagster_tests.edge.edge_server import serving
from salesagent_dagster_tests.integration.pipeline_harness import (
    gmail_state,
    parse_raw,
    process_once,
)

HERE = Path(__file__).resolve().parent
BROWSER_DIR = HERE / "browser"
# The README's screenshots are refreshed only when asked (SALESAGENT_SCREENSHOTS=1): a test
# run must not rewrite tracked files; otherwise they go to the test's own directory.
README_SCREENSHOTS = HERE.parents[1] / "docs" / "screenshots"
CHROMIUM = os.environ.get("SALESAGENT_CHROMIUM", "/usr/bin/chromium")
PASSWORD = "reviewer-password-for-the-browser"
NAMES = ("ivy", "kim", "jon", "ned", "lou")


def browser_or_skip() -> str:
    node = shutil.which("node")
    missing = [
        what
        for what, present in (
            (f"chromium at {CHROMIUM} (apt-get install -y chromium)", Path(CHROMIUM).exists()),
            ("node (apt-get install -y nodejs npm)", node is not None),
            (
                f"playwright-core (npm ci --prefix {BROWSER_DIR})",
                (BROWSER_DIR / "node_modules" / "playwright-core").exists(),
            ),
        )
        if not present
    ]
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"the browser test needs {', '.join(missing)}")
        pytest.skip(f"no real browser here: missing {', '.join(missing)}")
    assert node is not None
    return node


def waiting_lead(sandbox, instance, name: str) -> str:
    lead = {"email": f"{name}@quietfarm.co", "firstname": name.title(), "company": "Quiet Farm"}
    add_submission(sandbox.hubspot.url, lead)
    (outcome,) = process_once(instance).outcomes
    assert outcome.status == "needs_review"
    return outcome.partition_key


def test_an_operator_clears_a_queue_of_five_in_a_browser(
    sandbox, dagster_home, monkeypatch, tmp_path
):
    node = browser_or_skip()
    monkeypatch.setenv("ALLOW_REAL_SENDS", "true")
    with DagsterInstance.get() as instance:
        keys = {name: waiting_lead(sandbox, instance, name) for name in NAMES}
        resources = resources_from_env(resolve_secrets=True)
        with resources.app_store.session() as session:
            save_operator(session, "rita", "reviewer", hash_password(PASSWORD), actor="test")
            # Ned unsubscribed after his draft was written: a hard rule no approval passes.
            fingerprint = resources.outreach.fingerprint("ned@quietfarm.co")
            suppression.suppress(session, fingerprint, "unsubscribed")

        def make_context(url: str) -> EdgeContext:
            # What `salesagent serve --surface internal` serves: the desk's actions run the
            # review_lead job in the edge's process, on this instance.
            return desk_context()

        shots = README_SCREENSHOTS if os.environ.get("SALESAGENT_SCREENSHOTS") else tmp_path
        shots.mkdir(parents=True, exist_ok=True)
        plan = {"name": "rita", "password": PASSWORD, "approve": "Ivy", "edit": "Kim",
                "reject": "Jon", "refused": "Ned", "bulk_search": "lou"}  # fmt: skip
        with serving(make_context, "internal") as (url, _):
            done = subprocess.run(
                [node, str(BROWSER_DIR / "clear_queue.mjs")],
                cwd=BROWSER_DIR, capture_output=True, text=True, timeout=240, check=False,
                env={**os.environ, "DESK_URL": url, "CHROMIUM": CHROMIUM,
                     "SHOTS": str(shots), "PLAN": json.dumps(plan)},
            )  # fmt: skip
        assert done.returncode == 0, done.stderr
        report = json.loads(done.stdout.strip().splitlines()[-1])

    print("actions per decision:", report["counts"])
    assert report["errors"] == []
    assert all(count <= 3 for label, count in report["counts"].items() if label != "bulk")
    assert report["counts"]["bulk"] <= 4  # for the whole filtered selection
    flashes = report["flashes"]
    assert "approved" in flashes["approve"] and "approved version 2" in flashes["edit"]
    assert "rejected" in flashes["reject"]
    assert "refused" in flashes["refused"] and "suppression" in flashes["refused"]
    assert "approved" in flashes["bulk"]

    sent = [parse_raw(m["raw"]) for m in gmail_state(sandbox.gmail.url)["sent"]]
    assert sorted(m["To"].split("<")[-1].rstrip(">") for m in sent) == [
        "ivy@quietfarm.co", "kim@quietfarm.co", "lou@quietfarm.co",
    ]  # fmt: skip
    (kims,) = [m for m in sent if "kim@" in m["To"]]
    assert "Happy to show you around on Tuesday." in kims.get_body(("plain",)).get_content()
    with resources_from_env().app_store.session() as session:
        assert [q.partition_key for q in reviews.review_queue(session)] == [keys["ned"]]
        recorded = {
            name: [(r.reviewer, r.reviewer_kind, r.action) for r in reviews.reviews_for(session, key)]
            for name, key in keys.items()
        }  # fmt: skip
    assert recorded["ivy"] == [("rita", "signed_in", "approve")]
    assert recorded["kim"] == [("rita", "signed_in", "edit")]
    assert recorded["jon"] == [("rita", "signed_in", "reject")]
    assert recorded["lou"] == [("rita", "signed_in", "approve")]
    assert recorded["ned"] == []
    assert report["highlighted"] == 1
