"""`review_lead`: the Launchpad's way to approve, edit or reject one lead and send it."""

from dagster import AssetSelection, define_asset_job, in_process_executor

review_lead_job = define_asset_job(
    name="review_lead",
    selection=AssetSelection.assets("operator_review", "sent_email"),
    executor_def=in_process_executor,
    description=(
        "Pick one partition, set operator_review's config (action, reviewer, reason, ...): "
        "records the decision, then sends through the same gated send path."
    ),
)
