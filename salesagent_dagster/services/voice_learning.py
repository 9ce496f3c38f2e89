"""Learn a rep's voice from their Gmail sent folder (one mailbox at a time).

The rep's own writing only: mail this product sent or drafted from the mailbox is left out
(the send ledger's Message-IDs and Gmail ids, our Message-ID shape, RFC 8058 one-click
headers, our unsubscribe link in the text), and the domain's learner cuts quoted history and
signatures. A profile whose style changed is stored as the mailbox's next version; the
drafts and follow-ups read the current one.

Mailboxes are named to Dagster only by an opaque key (a salted hash, DESIGN I-6); the
address is looked up again here from the app DB and the default mailbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import islice
from typing import Any

from salesagent_dagster.domain.mime_message import is_our_message_id
from salesagent_dagster.domain.voice_profile import DEFAULT_VOICE, VoiceProfile, learn_voice_profile
from salesagent_dagster.resources.app_store import AppStoreResource
from salesagent_dagster.resources.errors import AuthorizationRevoked
from salesagent_dagster.resources.gmail import GmailResource, SentMail
from salesagent_dagster.resources.outreach_settings import OutreachSettings
from salesagent_dagster.services.mailboxes import gmail_for, note_revoked
from salesagent_dagster.store import mailboxes, voice_profiles

PARTITION_PREFIX = "mbx-"
# Enough of the rep's recent writing to be their voice now, and a bound on the Gmail reads
# when the newest sent mail is mostly ours (a busy mailbox drafts 20 a day from here).
SAMPLES_WANTED = 50
MAX_SENT_MAIL_READ = 300
# Fewer own emails than this say too little about how someone writes: keep what we have.
MIN_SAMPLES = 3

LEARNED = "learned"
UNCHANGED = "unchanged"
TOO_FEW_SAMPLES = "too_few_samples"
RECONNECT_REQUIRED = "reconnect_required"
UNKNOWN_MAILBOX = "unknown_mailbox"


@dataclass(frozen=True)
class MailboxToLearn:
    partition_key: str
    address: str  # stays in this process: Dagster only ever sees the key
    connected: bool  # False: the rep must reconnect Gmail before anything is read


@dataclass(frozen=True)
class VoiceLearning:
    """What one refresh did, and the mailbox's current profile after it."""

    outcome: str  # learned | unchanged | too_few_samples | reconnect_required | unknown_mailbox
    profile: VoiceProfile
    samples_read: int = 0
    sent_mail_read: int = 0  # fetched from Gmail (mail the ledger names as ours is not)
    own_mail_skipped: int = 0  # fetched, then recognised as ours

    @property
    def changed(self) -> bool:
        return self.outcome == LEARNED

    def metadata(self) -> dict[str, Any]:
        """The profile's fields, version and counts: never a word of the mail behind them."""
        profile = self.profile
        return {
            "outcome": self.outcome,
            "voice_profile_version": profile.version,
            "changed": self.changed,
            "greeting": profile.greeting,
            "sign_off": profile.sign_off,
            "uses_contractions": profile.uses_contractions,
            "average_sentence_words": profile.average_sentence_words,
            "exclamations_per_email": profile.exclamations_per_email,
            "template": "brief" if profile.is_brief else "standard",
            "sample_count": profile.sample_count,
            "samples_read_now": self.samples_read,
            "sent_mail_read": self.sent_mail_read,
            "own_mail_skipped": self.own_mail_skipped,
        }


def voice_partition_key(outreach: OutreachSettings, address: str) -> str:
    """The mailbox's opaque partition key: a prefix of its salted hash."""
    return PARTITION_PREFIX + outreach.fingerprint(address)[:20]


def mailboxes_to_learn(
    app_store: AppStoreResource, gmail: GmailResource, outreach: OutreachSettings
) -> list[MailboxToLearn]:
    """The default mailbox (SENDER_EMAIL) and every connected one, each once."""
    found = {
        gmail.sender_email.strip().lower(): MailboxToLearn(
            voice_partition_key(outreach, gmail.sender_email), gmail.sender_email, True
        )
    }
    with app_store.session() as session:
        for row in mailboxes.all_mailboxes(session):
            found.setdefault(
                row.address,
                MailboxToLearn(
                    voice_partition_key(outreach, row.address),
                    row.address,
                    row.status == mailboxes.CONNECTED,
                ),
            )
    return list(found.values())


def learn_mailbox_voice(
    app_store: AppStoreResource,
    gmail: GmailResource,
    outreach: OutreachSettings,
    partition_key: str,
) -> VoiceLearning:
    """Read the mailbox's sent folder, learn its profile, store a new version if the style
    changed. A revoked grant is recorded (the mailbox asks to be reconnected) and the
    stored profile stays: an outcome, not an error. Transient Gmail errors propagate."""
    mailbox = next(
        (
            m
            for m in mailboxes_to_learn(app_store, gmail, outreach)
            if m.partition_key == partition_key
        ),
        None,
    )
    if mailbox is None:
        return VoiceLearning(UNKNOWN_MAILBOX, DEFAULT_VOICE)
    with app_store.session() as session:
        current = voice_profiles.voice_for(session, mailbox.address)
        message_ids, gmail_ids = voice_profiles.mail_we_sent(session, mailbox.address)
    if not mailbox.connected:
        return VoiceLearning(RECONNECT_REQUIRED, current)
    bodies: list[str] = []
    read = skipped = 0
    try:
        rep_gmail = gmail_for(mailbox.address, gmail, app_store)
        for mail in islice(rep_gmail.sent_mail(skip_gmail_ids=gmail_ids), MAX_SENT_MAIL_READ):
            read += 1
            if _is_ours(mail, message_ids, outreach.unsubscribe_url):
                skipped += 1
                continue
            if mail.text.strip():
                bodies.append(mail.text)
            if len(bodies) >= SAMPLES_WANTED:
                break
    except AuthorizationRevoked:
        note_revoked(app_store, mailbox.address)
        return VoiceLearning(RECONNECT_REQUIRED, current)
    learned = learn_voice_profile(bodies)
    if learned.sample_count < MIN_SAMPLES:
        return VoiceLearning(TOO_FEW_SAMPLES, current, learned.sample_count, read, skipped)
    with app_store.session() as session:
        stored = voice_profiles.save_voice(session, mailbox.address, learned)
    outcome = LEARNED if stored.version != current.version else UNCHANGED
    return VoiceLearning(outcome, stored, learned.sample_count, read, skipped)


def _is_ours(mail: SentMail, message_ids: frozenset[str], unsubscribe_url: str) -> bool:
    """Mail this product wrote, however it left the mailbox: sent by us, or drafted by us
    and sent by the rep from Gmail (the same Message-ID and footer, a new Gmail id)."""
    message_id = mail.message_id.strip()
    return (
        message_id.strip("<>") in message_ids
        or is_our_message_id(message_id)
        or mail.one_click_unsubscribe
        or bool(unsubscribe_url and unsubscribe_url in mail.text)
    )
