"""The `voice_profile` asset end to end: the weekly sensor adds a partition per connected
mailbox under an opaque key and requests one refresh per week; the materialization shows the
profile's fields and version, never the mail; a revoked mailbox is noted and skipped."""

from __future__ import annotations

from dagster import AssetKey, AssetRecordsFilter, build_sensor_context

from salesagent_dagster.definitions import build_definitions
from salesagent_dagster.local.demo_seed import REP_SENT_MAIL, learn_demo_voices, seed_sent_mail
from salesagent_dagster.local.sandbox_stack import (
    SANDBOX_SENDER,
    SECOND_REP,
    SECOND_REP_REFRESH_TOKEN,
)
from salesagent_dagster.services.voice_learning import voice_partition_key
from salesagent_dagster.store import mailboxes, voice_profiles
from salesagent_dagster_tests.voice.conftest import connect_second_rep

VOICE = AssetKey("voice_profile")
# Words of the seeded mail, and of the people and reps in it: none may reach Dagster.
NEVER_IN_DAGSTER = ("dispatch", "Jordan", "Hamburg", "deck", "riley@", "sam@", "seller.example")


def latest_metadata(instance, key):
    records = instance.fetch_materializations(
        AssetRecordsFilter(asset_key=VOICE, asset_partitions=[key]), limit=1
    ).records
    return {name: value.value for name, value in records[0].asset_materialization.metadata.items()}


def event_log_text(instance, run_ids):
    return "\n".join(str(entry) for run_id in run_ids for entry in instance.all_logs(run_id))


def test_every_connected_mailbox_is_learned_under_an_opaque_key(sandbox, instance, resources):
    connect_second_rep()
    seed_sent_mail(sandbox.gmail.url)

    tick = learn_demo_voices(instance)

    riley = voice_partition_key(resources.outreach, SANDBOX_SENDER)
    sam = voice_partition_key(resources.outreach, SECOND_REP)
    assert sorted(instance.get_dynamic_partitions("voice_mailboxes")) == sorted([riley, sam])
    assert {(run.partition_key, run.success) for run in tick.runs} == {(riley, True), (sam, True)}
    riley_meta, sam_meta = latest_metadata(instance, riley), latest_metadata(instance, sam)
    assert riley_meta == {
        "outcome": "learned", "voice_profile_version": 1, "changed": True, "greeting": "Dear",
        "sign_off": "Kind regards", "uses_contractions": False, "average_sentence_words": 21.3,
        "exclamations_per_email": 0.0, "template": "standard", "sample_count": 4,
        "samples_read_now": 4, "sent_mail_read": 4, "own_mail_skipped": 0,
    }  # fmt: skip
    assert (sam_meta["greeting"], sam_meta["sign_off"], sam_meta["template"]) == (
        "Hey", "Cheers", "brief",
    )  # fmt: skip
    logged = event_log_text(instance, [run.run_id for run in tick.runs])
    assert [word for word in NEVER_IN_DAGSTER if word in logged] == []
    with resources.app_store.session() as session:
        assert voice_profiles.voice_for(session, SECOND_REP).version == 1


def test_a_mailbox_is_refreshed_once_a_week_however_often_the_sensor_ticks(sandbox, instance):
    seed_sent_mail(sandbox.gmail.url, REP_SENT_MAIL[:1])
    first = learn_demo_voices(instance)
    second = learn_demo_voices(instance)
    assert len(first.runs) == 1
    assert second.runs == ()


def test_a_revoked_mailbox_is_noted_and_skipped_not_a_crash(sandbox, instance, resources):
    connect_second_rep()
    seed_sent_mail(sandbox.gmail.url)
    sandbox.gmail.revoke_refresh_token(SECOND_REP_REFRESH_TOKEN)

    tick = learn_demo_voices(instance)

    sam = voice_partition_key(resources.outreach, SECOND_REP)
    assert {run.success for run in tick.runs} == {True}
    assert latest_metadata(instance, sam)["outcome"] == "reconnect_required"
    assert latest_metadata(instance, sam)["voice_profile_version"] == 0
    with resources.app_store.session() as session:
        assert mailboxes.get_mailbox(session, SECOND_REP).status == "reconnect_required"
    # Waiting to be reconnected, the mailbox is not asked for again, even in a new week.
    definitions = build_definitions()
    sensor = definitions.resolve_sensor_def("voice_profiles_weekly")
    with build_sensor_context(
        instance=instance, definitions=definitions, resources=dict(definitions.resources or {}),
        cursor='{"week": "1999-W01", "requested": []}',
    ) as context:  # fmt: skip
        result = sensor(context)
    assert [request.partition_key for request in result.run_requests] == [
        voice_partition_key(resources.outreach, SANDBOX_SENDER)
    ]
