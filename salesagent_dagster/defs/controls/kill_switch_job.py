"""`set_kill_switch`: turn all sending off (or on again) from the Launchpad, recorded.

While the switch is on, runs that reach the send step park the send as `held` and end; the
`deferred_sends` sensor resumes every held send once it is off (nothing is lost).
"""

from dagster import Config, OpExecutionContext, job, op
from pydantic import Field

from salesagent_dagster.resources.app_store import AppStoreResource
from salesagent_dagster.store import controls


class KillSwitchConfig(Config):
    enabled: bool = Field(description="true stops every send; false lets held sends resume")
    operator: str = Field(description="Your name: recorded with the change")
    reason: str = Field(description="Why: recorded with the change")


@op(description="Flip the kill switch and record who, when and why.")
def flip_kill_switch(
    context: OpExecutionContext, config: KillSwitchConfig, app_store: AppStoreResource
) -> None:
    if not config.operator.strip() or not config.reason.strip():
        raise ValueError("the kill switch needs the operator's name and a reason")
    with app_store.session() as session:
        controls.set_control(
            session,
            controls.KILL_SWITCH,
            config.enabled,
            actor=config.operator,
            reason=config.reason,
        )
    context.log.warning(
        f"kill switch {'ON: sends are held' if config.enabled else 'OFF: held sends resume'}"
    )


@job(description="Stop (or resume) all sending, with who and why recorded.")
def set_kill_switch() -> None:
    flip_kill_switch()
