"""A run that failed for good reaches Sentry as a dead letter: key, step and error class,
and nothing about the person."""

import sentry_sdk
from dagster import DagsterInstance, build_run_status_sensor_context, job, op

from salesagent_dagster.defs.maintenance.dead_letter_sensor import report_dead_letters
from salesagent_dagster.observability.sentry_setup import init_sentry
from salesagent_dagster_tests.observability.fake_sentry import fake_sentry

ADDRESS = "dora.dead@letters-example.com"


class GmailRefused(Exception):
    pass


@op
def send_it() -> None:
    raise GmailRefused(f"refused {ADDRESS}")


@job
def failing_lead() -> None:
    send_it()


def test_a_final_failure_is_reported_without_pii():
    with DagsterInstance.ephemeral() as instance, fake_sentry() as endpoint:
        result = failing_lead.execute_in_process(
            instance=instance, raise_on_error=False, tags={"dagster/partition": "sub_dead1"}
        )
        failure = next(e for e in result.all_events if e.event_type_value == "PIPELINE_FAILURE")
        init_sentry(endpoint.dsn)
        try:
            context = build_run_status_sensor_context(
                sensor_name="report_dead_letters",
                dagster_event=failure,
                dagster_instance=instance,
                dagster_run=result.dagster_run,
            ).for_run_failure()
            report_dead_letters(context)
            sentry_sdk.flush(timeout=5)
        finally:
            sentry_sdk.get_client().close(timeout=2)
            sentry_sdk.init(dsn=None)
        text = endpoint.text()
    assert "dead letter" in text and "sub_dead1" in text and "GmailRefused" in text
    assert ADDRESS not in text and "letters-example" not in text
