"""The audit never says "signed in" for a name someone typed: only the desk's proof for this
reviewer and this lead makes a review `signed_in`."""

from __future__ import annotations

from salesagent_dagster.services.operators import identity_proof
from salesagent_dagster.services.review import (
    ReviewAction,
    ReviewRequest,
    recorded_reviewer_kind,
)
from salesagent_dagster.store.database import session_scope


def request(**fields: str) -> ReviewRequest:
    return ReviewRequest(ReviewAction.approve, fields.pop("reviewer", "rick"), "ok", **fields)  # type: ignore[arg-type]


def test_only_the_desks_proof_makes_a_reviewer_signed_in(database_url):
    with session_scope(database_url) as session:
        proof = identity_proof(session, "rick", "sub_a")
        assert recorded_reviewer_kind(session, "sub_a", request(
            reviewer_kind="signed_in", identity_proof=proof)) == "signed_in"  # fmt: skip
        # Typed into the Launchpad: the claim without a proof, another lead's, another name's.
        for forged in (
            request(reviewer_kind="signed_in"),
            request(reviewer_kind="signed_in", identity_proof=proof + "x"),
            request(reviewer_kind="signed_in", identity_proof=proof, reviewer="eve"),
        ):
            assert recorded_reviewer_kind(session, "sub_a", forged) == "declared"
        assert recorded_reviewer_kind(session, "sub_b", request(
            reviewer_kind="signed_in", identity_proof=proof)) == "declared"  # fmt: skip
        assert recorded_reviewer_kind(session, "sub_a", request()) == "declared"
        assert (
            recorded_reviewer_kind(session, "sub_a", request(reviewer_kind="os_user")) == "os_user"
        )
