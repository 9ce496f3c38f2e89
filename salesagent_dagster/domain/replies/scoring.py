"""How well a reply classifier does on a labelled set: per-class precision and recall.

Precision matters most for the classes with lasting effects (unsubscribe and bounce_hard
suppress a person forever), recall for the ones whose miss keeps mailing someone who asked us
to stop. Besides the kind, the facts the listener acts on are checked on the messages whose
kind was right: return date, bounced recipient, original Message-ID, unsubscribe key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from salesagent_dagster.domain.replies.classifier import ReplyClassifier
from salesagent_dagster.domain.replies.kinds import Classification, ReplyKind
from salesagent_dagster.domain.replies.labelled_set import LabelledReply


@dataclass(frozen=True)
class ClassScore:
    kind: ReplyKind
    precision: float
    recall: float
    support: int  # labelled messages of this kind
    predicted: int  # messages the classifier gave this kind


@dataclass(frozen=True)
class Miss:
    file: str
    expected: str
    got: str
    reason: str  # the rule that fired, or the fact that was wrong


@dataclass(frozen=True)
class Scorecard:
    classes: tuple[ClassScore, ...]
    accuracy: float
    total: int
    misses: tuple[Miss, ...]  # wrong kind
    fact_misses: tuple[Miss, ...]  # right kind, a wrong return date, recipient, id or key

    def of(self, kind: ReplyKind) -> ClassScore:
        return next(score for score in self.classes if score.kind == kind)


def _fact_misses(case: LabelledReply, got: Classification) -> list[Miss]:
    wrong: list[tuple[str, object, object]] = []
    if case.kind == ReplyKind.AUTO_REPLY and got.return_date != case.return_date:
        wrong.append(("return_date", case.return_date, got.return_date))
    if case.bounced_recipient is not None and got.bounced_recipient != case.bounced_recipient:
        wrong.append(("bounced_recipient", case.bounced_recipient, got.bounced_recipient))
    if case.original_message_id and case.original_message_id not in got.original_message_ids:
        wrong.append(("original_message_id", case.original_message_id, got.original_message_ids))
    if case.kind == ReplyKind.UNSUBSCRIBE and got.unsubscribe_key != case.unsubscribe_key:
        wrong.append(("unsubscribe_key", case.unsubscribe_key, got.unsubscribe_key))
    return [Miss(case.file, str(want), str(have), field) for field, want, have in wrong]


def score(classifier: ReplyClassifier, cases: Sequence[LabelledReply]) -> Scorecard:
    results = [
        (case, classifier.classify(case.message(), received_on=case.received_on)) for case in cases
    ]
    classes = []
    for kind in ReplyKind:
        support = sum(case.kind == kind for case, _ in results)
        predicted = sum(got.kind == kind for _, got in results)
        hits = sum(case.kind == kind == got.kind for case, got in results)
        classes.append(
            ClassScore(
                kind,
                precision=hits / predicted if predicted else 1.0,
                recall=hits / support if support else 1.0,
                support=support,
                predicted=predicted,
            )
        )
    misses = tuple(
        Miss(case.file, case.kind, got.kind, got.reason)
        for case, got in results
        if case.kind != got.kind
    )
    fact_misses = tuple(
        miss for case, got in results if case.kind == got.kind for miss in _fact_misses(case, got)
    )
    return Scorecard(
        classes=tuple(classes),
        accuracy=(len(results) - len(misses)) / len(results) if results else 1.0,
        total=len(results),
        misses=misses,
        fact_misses=fact_misses,
    )
