"""The set a style is trained and judged on: the user's examples validated for the model's window,
refusals made from them, the app's own earlier answers rehearsed beside them, split into what is
trained on and what is held out to compare.

The user's examples are split alone, and the rehearsed answers apart, so what is held out of the
user's examples does not move when the history grows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

from core.style import examples as ex, rehearsal


@dataclass
class ExampleSet:
    train: list[ex.StyleExample]
    validation: list[ex.StyleExample]
    problems: list[ex.Problem]
    counts: dict[str, int] = field(default_factory=dict)  # by origin, of the kept examples

    @property
    def ready(self) -> bool:
        """Enough examples to train on (the problems may still list examples left out)."""
        return bool(self.train) and not any(p.where == "" for p in self.problems)

    @property
    def dataset_sha256(self) -> str:
        """What is trained on, exactly."""
        return ex.dataset_sha256(self.train)

    @property
    def examples_sha256(self) -> str:
        """What is trained on of the user's examples (and the refusals made from them): the same
        while only the history rehearsed changed."""
        return ex.dataset_sha256([e for e in self.train if e.origin != rehearsal.ORIGIN])

    @property
    def rehearsed(self) -> list[str]:
        """The questions of the earlier answers trained on."""
        return [e.question for e in self.train if e.origin == rehearsal.ORIGIN]

    def use_of(self, example: ex.StyleExample) -> str:
        """"train", "compare" (held out) or "left out" (see ``problems``)."""
        return "train" if example in self.train else "compare" if example in self.validation else "left out"


def assemble(given: Sequence[ex.StyleExample], count_tokens: Callable[[str], int], context_length: int, *,
             history: Callable[[int, set[str]], list[ex.StyleExample]] = lambda count, skip: [],
             refusal_rate: float | None = None, rehearsal_share: float = rehearsal.REHEARSAL_SHARE,
             holdout: float = 0.2, minimum: int = ex.MIN_EXAMPLES, seed: int = 0) -> ExampleSet:
    """``history(count, questions to skip)``: up to ``count`` earlier answers to rehearse
    (``rehearsal.from_history``); those too long for the window are left out without a word (they
    are not the user's to fix)."""
    kept, problems = ex.validate(given, count_tokens, context_length, minimum)
    every = kept + ex.refusals(kept, refusal_rate, seed)
    wanted = rehearsal.wanted(len(every), rehearsal_share) if kept else 0
    rehearsed, _ = ex.validate(history(wanted, {e.question for e in every}) if wanted else [], count_tokens,
                               context_length, minimum=0)
    train, validation = ex.split(every, holdout, seed)
    rehearsed_train, rehearsed_validation = ex.split(rehearsed, holdout, seed)
    counts: dict[str, int] = {}
    for example in every + rehearsed:
        counts[example.origin] = counts.get(example.origin, 0) + 1
    return ExampleSet(train + rehearsed_train, validation + rehearsed_validation, problems, counts)
