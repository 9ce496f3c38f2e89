"""A rep's writing voice: how they greet, sign off and how long their sentences run.

Learned from the rep's own sent mail (`learn_voice_profile`) so a draft reads like them,
with `DEFAULT_VOICE` for a rep we have not learned yet. Only the rep's own words count:
quoted history and signatures are cut with the reply reader's `new_text` (one cut for the
whole product), and the prose ends at the sign-off, so a signature block without a "-- "
delimiter (name, title, phone) is not read as sentences either.

The profile holds a few words from fixed vocabularies and numbers, never text of a message:
it may be shown as orchestration metadata (DESIGN I-6).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from salesagent_dagster.domain.replies.new_text import new_text

_GREETING = re.compile(r"^(hi|hey|hello|dear|good (?:morning|afternoon))\b", re.IGNORECASE)
_SIGN_OFF = re.compile(
    r"^(best|best regards|kind regards|regards|cheers|thanks|thank you|many thanks|"
    r"all the best|talk soon|warmly)[,!.]?$",
    re.IGNORECASE,
)
_CONTRACTION = re.compile(r"\b\w+['\u2019](?:s|re|ll|ve|d|m|t)\b", re.IGNORECASE)


@dataclass(frozen=True)
class VoiceProfile:
    greeting: str = "Hi"
    sign_off: str = "Best"
    uses_contractions: bool = True
    average_sentence_words: float = 14.0
    exclamations_per_email: float = 0.0
    sample_count: int = 0
    # Which learned profile of the mailbox this is (0: the default voice, nothing learned).
    version: int = 0

    @property
    def is_brief(self) -> bool:
        """Short-sentence writers get the short template."""
        return self.average_sentence_words < 12

    def phrases(self) -> dict[str, str]:
        """The few phrases whose form is the writer's: contracted or spelled out. Every
        writer (first email, variants, follow-ups) takes them from here."""
        contracted = self.uses_contractions
        return {
            "i_would": "I'd" if contracted else "I would",
            "i_am": "I'm" if contracted else "I am",
            "i_have": "I've" if contracted else "I have",
            "i_will": "I'll" if contracted else "I will",
            "we_are": "we're" if contracted else "we are",
            "it_is": "it's" if contracted else "it is",
        }

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def style(self) -> tuple[object, ...]:
        """What the drafts read of the profile: a new version is learned only when this
        changes (how many mails it was read from, and its version, are not style)."""
        return (
            self.greeting,
            self.sign_off,
            self.uses_contractions,
            self.average_sentence_words,
            self.exclamations_per_email,
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> VoiceProfile:
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        return cls(**known)


DEFAULT_VOICE = VoiceProfile()


def learn_voice_profile(sent_bodies: Iterable[str]) -> VoiceProfile:
    """Summarise plain-text bodies the rep wrote; quoted replies and signatures are ignored."""
    greetings: Counter[str] = Counter()
    sign_offs: Counter[str] = Counter()
    sentence_lengths: list[int] = []
    contractions = exclamations = samples = 0
    for body in sent_bodies:
        own_lines = [line.strip() for line in new_text(body).splitlines() if line.strip()]
        if not own_lines:
            continue
        samples += 1
        greeting = _GREETING.match(own_lines[0])
        if greeting:
            greetings[greeting.group(1).capitalize()] += 1
        body_lines = own_lines[1:]
        for index, line in enumerate(body_lines):
            if _SIGN_OFF.match(line):
                sign_offs[line.rstrip(",!.").capitalize()] += 1
                body_lines = body_lines[:index]  # the name and signature block follow
                break
        prose = " ".join(body_lines)
        contractions += len(_CONTRACTION.findall(prose))
        exclamations += prose.count("!")
        for sentence in re.split(r"[.!?]+\s", prose):
            words = len(sentence.split())
            if words >= 3:
                sentence_lengths.append(words)
    if samples == 0:
        return DEFAULT_VOICE
    return VoiceProfile(
        greeting=greetings.most_common(1)[0][0] if greetings else DEFAULT_VOICE.greeting,
        sign_off=sign_offs.most_common(1)[0][0] if sign_offs else DEFAULT_VOICE.sign_off,
        uses_contractions=contractions / samples >= 0.5,
        average_sentence_words=(
            round(sum(sentence_lengths) / len(sentence_lengths), 1)
            if sentence_lengths
            else DEFAULT_VOICE.average_sentence_words
        ),
        exclamations_per_email=round(exclamations / samples, 2),
        sample_count=samples,
    )
