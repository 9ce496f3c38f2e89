"""`send_follow_up`: one follow-up step of one lead per run, every step in one process
(the in-process executor, as process_lead: DESIGN section 5)."""

from dagster import AssetSelection, define_asset_job, in_process_executor

from salesagent_dagster.defs.follow_ups.follow_up_asset import FOLLOW_UP_EMAIL_KEY

send_follow_up_job = define_asset_job(
    name="send_follow_up",
    selection=AssetSelection.assets(FOLLOW_UP_EMAIL_KEY),
    executor_def=in_process_executor,
    description="One follow-up step (run config: the step number) through the send gates.",
)


def step_run_config(step: int) -> dict[str, object]:
    return {"ops": {"follow_up_email": {"config": {"step": step}}}}
