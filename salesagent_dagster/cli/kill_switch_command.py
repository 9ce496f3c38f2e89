"""`salesagent kill-switch on|off|status`: stop every send at once, recorded."""

from __future__ import annotations

import getpass

import click

from salesagent_dagster.settings import resources_from_env
from salesagent_dagster.store import controls, deferrals


@click.command("kill-switch")
@click.argument("state", type=click.Choice(["on", "off", "status"]))
@click.option("--reason", help="Why: recorded with the change (required for on/off).")
@click.option("--by", "actor", default=getpass.getuser, show_default="your login")
def kill_switch(state: str, reason: str | None, actor: str) -> None:
    """While on, nothing is sent anywhere: sends are held and resume when it is off."""
    resources = resources_from_env()
    forced = resources.outreach.kill_switch_forced
    with resources.app_store.session() as session:
        if state != "status":
            if not reason:
                raise click.UsageError("--reason is required to turn the kill switch on or off")
            controls.set_control(
                session, controls.KILL_SWITCH, state == "on", actor=actor, reason=reason
            )
        control = controls.get_control(session, controls.KILL_SWITCH)
        held = len(deferrals.held_by_kill_switch(session))
        on = controls.kill_switch_on(session, forced=forced)
        click.echo(f"kill switch: {'ON' if on else 'off'}; {held} sends held")
        if control is not None:
            click.echo(
                f"last changed by {control.updated_by} at {control.updated_at:%Y-%m-%d %H:%M} UTC: "
                f"{control.reason}"
            )
        if forced:
            click.echo("forced on by SALESAGENT_KILL_SWITCH; unset it to turn it off")
