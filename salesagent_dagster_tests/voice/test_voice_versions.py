"""Voice profiles are versioned per mailbox: a changed style is the next version and every
version is kept; the same style keeps its version."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.orm import Session

from salesagent_dagster.domain.voice_profile import DEFAULT_VOICE, VoiceProfile
from salesagent_dagster.local.demo_seed import SentMailSeed, seed_sent_mail
from salesagent_dagster.local.sandbox_stack import SANDBOX_REFRESH_TOKEN, SANDBOX_SENDER
from salesagent_dagster.services.voice_learning import learn_mailbox_voice, voice_partition_key
from salesagent_dagster.store import voice_profiles
from salesagent_dagster.store.database import get_engine

CASUAL = VoiceProfile("Hey", "Cheers", True, 6.0, 1.0, sample_count=8)
FORMAL = VoiceProfile("Dear", "Kind regards", False, 21.0, 0.0, sample_count=8)


def test_a_changed_style_is_the_next_version_and_every_version_is_kept(database_url):
    with Session(get_engine(database_url)) as session:
        assert voice_profiles.voice_for(session, "sam@seller.example") == DEFAULT_VOICE
        first = voice_profiles.save_voice(session, "Sam@Seller.example", CASUAL)
        again = voice_profiles.save_voice(
            session, "sam@seller.example", replace(CASUAL, sample_count=9)
        )
        other = voice_profiles.save_voice(session, "riley@seller.example", FORMAL)
        changed = voice_profiles.save_voice(session, "sam@seller.example", FORMAL)
        session.commit()
    with Session(get_engine(database_url)) as session:
        current = voice_profiles.voice_for(session, "sam@seller.example")
        versions = voice_profiles.voice_versions(session, "sam@seller.example")
    assert (first.version, again.version, other.version, changed.version) == (1, 1, 1, 2)
    assert again == first  # more mail, the same style: nothing new stored
    assert current == replace(FORMAL, version=2)
    assert versions == [replace(CASUAL, version=1), replace(FORMAL, version=2)]


def test_a_refresh_of_unchanged_mail_keeps_the_version(sandbox, resources):
    casual = ("Hey Jo,\n\nGreat! I'll send it. We're set.\n\nCheers,\nRiley",) * 3
    formal = (
        "Dear Kim,\n\nThank you for your request, which we will answer in detail by the end "
        "of the week after speaking with our engineering team.\n\nKind regards,\nRiley",
    ) * 6
    key = voice_partition_key(resources.outreach, SANDBOX_SENDER)

    def learn():
        return learn_mailbox_voice(resources.app_store, resources.gmail, resources.outreach, key)

    seed_sent_mail(sandbox.gmail.url, [SentMailSeed(SANDBOX_SENDER, SANDBOX_REFRESH_TOKEN, casual)])
    first, second = learn(), learn()
    seed_sent_mail(
        sandbox.gmail.url, [SentMailSeed(SANDBOX_SENDER, SANDBOX_REFRESH_TOKEN, formal)], days_ago=5
    )
    third = learn()

    assert [r.outcome for r in (first, second, third)] == ["learned", "unchanged", "learned"]
    assert [r.profile.version for r in (first, second, third)] == [1, 1, 2]
    assert (first.profile.greeting, third.profile.greeting) == ("Hey", "Dear")
    with resources.app_store.session() as session:
        assert voice_profiles.voice_for(session, SANDBOX_SENDER) == third.profile
        assert len(voice_profiles.voice_versions(session, SANDBOX_SENDER)) == 2


def test_too_little_own_mail_teaches_nothing(sandbox, resources):
    seed_sent_mail(
        sandbox.gmail.url,
        [SentMailSeed(SANDBOX_SENDER, SANDBOX_REFRESH_TOKEN, ("Hey Jo,\n\nDone!\n\nCheers",))],
    )
    key = voice_partition_key(resources.outreach, SANDBOX_SENDER)
    learning = learn_mailbox_voice(resources.app_store, resources.gmail, resources.outreach, key)
    assert (learning.outcome, learning.profile, learning.samples_read) == (
        "too_few_samples", DEFAULT_VOICE, 1,
    )  # fmt: skip
