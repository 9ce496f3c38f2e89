"""`process_lead`: one run per submission, every step in one process.

The in-process executor matters for speed-to-lead: the default multiprocess executor starts a
Python per step, seconds each (DESIGN section 5).
"""

from dagster import AssetSelection, define_asset_job, in_process_executor

LEAD_ASSET_NAMES = ("lead", "enrichment", "draft", "send_decision", "sent_email")

process_lead_job = define_asset_job(
    name="process_lead",
    selection=AssetSelection.assets(*LEAD_ASSET_NAMES),
    executor_def=in_process_executor,
    description="Lead -> enrichment -> draft -> safety checks -> decision -> sent_email.",
)
