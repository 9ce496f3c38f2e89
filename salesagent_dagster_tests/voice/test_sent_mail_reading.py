"""What the voice learner reads of a sent folder: the rep's own words only. Mail this
product sent or drafted from the mailbox is left out however it left (sent by us, or drafted
by us and sent by the rep), and quoted history and signatures are cut."""

from __future__ import annotations

from dataclasses import replace
from email.message import EmailMessage

from salesagent_dagster.domain.mime_message import (
    OutgoingEmail,
    build_mime_message,
    encode_for_gmail,
    new_message_id,
)
from salesagent_dagster.domain.voice_profile import learn_voice_profile
from salesagent_dagster.local.demo_seed import REP_SENT_MAIL, SentMailSeed, seed_sent_mail
from salesagent_dagster.local.sandbox_stack import SANDBOX_REFRESH_TOKEN, SANDBOX_SENDER
from salesagent_dagster.services.voice_learning import learn_mailbox_voice, voice_partition_key
from salesagent_dagster.store.models import SendLedgerEntry

CASUAL = (
    "Hey Jo,\n\nGreat call! I'll send it over. We're set.\n\nCheers,\nRiley",
    "Hey Lea,\n\nYou're in! It's live. Ping me if it's not.\n\nCheers,\nRiley",
    "Hey Max,\n\nThat's perfect. We'll go with Tuesday.\n\nCheers,\nRiley",
)
FORMAL = (
    "Dear Kim,\n\nThank you for your request. We are pleased to arrange a demonstration of "
    "the platform for your whole operations team at a time of your choosing.\n\n"
    "Kind regards,\nRiley"
)


def product_email(text: str) -> OutgoingEmail:
    return OutgoingEmail(
        sender_name="Riley Rep", sender_email=SANDBOX_SENDER, recipient_name="Kim",
        recipient_email="kim@brightpath.io", subject="Your demo request", body_text=text,
        message_id=new_message_id(SANDBOX_SENDER),
        unsubscribe_url="https://seller.example/u?lead=x", unsubscribe_mailto="mailto:u@x.y",
    )  # fmt: skip


def plain_raw(text: str) -> str:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = SANDBOX_SENDER, "kim@x.io", "Hi"
    message.set_content(text)
    return encode_for_gmail(message)


def learn_riley(resources):
    return learn_mailbox_voice(
        resources.app_store,
        resources.gmail,
        resources.outreach,
        voice_partition_key(resources.outreach, SANDBOX_SENDER),
    )


def test_mail_the_product_sent_or_drafted_is_not_learned_from(sandbox, resources):
    seed_sent_mail(sandbox.gmail.url, [SentMailSeed(SANDBOX_SENDER, SANDBOX_REFRESH_TOKEN, CASUAL)])
    gmail = resources.gmail
    # Sent by the product: our Message-ID, RFC 8058 headers, our footer.
    gmail.send_raw(encode_for_gmail(build_mime_message(product_email(FORMAL))))
    # Drafted by the product, then sent by the rep from Gmail: a new Gmail id.
    draft = gmail.create_draft(encode_for_gmail(build_mime_message(product_email(FORMAL))))
    gmail.service.users().drafts().send(userId="me", body={"id": draft.draft_id}).execute()
    # Sent by the product with nothing of ours left in it: only the ledger knows it.
    bare = gmail.send_raw(plain_raw(FORMAL))
    with resources.app_store.session() as session:
        session.add(
            SendLedgerEntry(
                partition_key="lead-x", step=0, message_id="<rewritten@mail.gmail.com>",
                mailbox=SANDBOX_SENDER, recipient_hash="h", draft_version=1, mode="send",
                state="sent", gmail_message_id=bare.message_id,
            )
        )  # fmt: skip
    sandbox.gmail.reset_api_calls()

    learning = learn_riley(resources)

    assert learning.outcome == "learned"
    assert learning.profile == replace(learn_voice_profile(CASUAL), version=1)
    assert (learning.profile.greeting, learning.profile.sign_off) == ("Hey", "Cheers")
    assert learning.profile.sample_count == 3
    assert (learning.sent_mail_read, learning.own_mail_skipped) == (5, 2)
    # The mail the ledger names was never fetched: 5 gets for the 6 sent messages.
    assert sandbox.gmail.api_calls(SANDBOX_SENDER)["get_message"] == 5


# Quick replies without a sign-off: what follows the rep's words is only the quote or the
# signature, and both are full of contractions and exclamations Riley never writes.
REPLIES = (
    "Dear Paul,\n\nThat is correct, and the signed contract will follow on Monday morning."
    "\n\nOn Tue, 4 Mar 2025 at 10:00, Paul Roy <paul@example.org> wrote:\n"
    "> hey Riley! so we're good? can't wait, it's great, we'll sign!!\n> I'm in, you're great",
    "Dear Ines,\n\nPlease find the revised agenda for the workshop attached to this message."
    "\n-- \nRiley Rep | Don't reply to this alias, it's unmonitored! We'll answer from mine!",
)
REPLY_MARKERS = (
    "\n\nOn Tue, 4 Mar 2025 at 10:00, Paul Roy <paul@example.org> wrote:\n",
    "\n-- \n",
)


def test_quoted_history_and_signatures_are_not_learned_from(sandbox, resources):
    (riley,) = [seed for seed in REP_SENT_MAIL if seed.mailbox == SANDBOX_SENDER]
    bodies = (*riley.bodies, *REPLIES)
    seed_sent_mail(sandbox.gmail.url, [SentMailSeed(SANDBOX_SENDER, SANDBOX_REFRESH_TOKEN, bodies)])
    # The same mail with quotes and signatures cut by hand, and left in as if written.
    own_words = [
        body.split("\n\n-- \n")[0]
        .split("\n\nOn ")[0]
        .split("\n-- \n")[0]
        .replace("\nRiley Rep\nSenior Account Executive, Seller Example Inc.", "")
        for body in bodies
    ]
    left_in = [*riley.bodies] + [
        reply.replace(marker, " ").replace("> ", "")
        for reply, marker in zip(REPLIES, REPLY_MARKERS, strict=True)
    ]

    profile = learn_riley(resources).profile

    assert profile.style() == learn_voice_profile(own_words).style()
    assert profile.sample_count == 6
    assert (profile.greeting, profile.sign_off, profile.is_brief) == ("Dear", "Kind regards", False)
    assert (profile.uses_contractions, profile.exclamations_per_email) == (False, 0.0)
    # Read as Riley's words, the quote and the signature would have changed the voice.
    learned_from_all = learn_voice_profile(left_in)
    assert learned_from_all.exclamations_per_email > 0
    assert learned_from_all.uses_contractions is True
