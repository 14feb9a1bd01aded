"""What the schedulers remember about a card, as plain values (no algorithms, no I/O).

`Sm2State` is SM-2's state, `FsrsState` FSRS's; `Memory` holds both. The algorithms that change
them live in `dlcards.sm2`, `dlcards.fsrs_sched` and `dlcards.scheduling`; the store only reads
and writes these values.
"""

from __future__ import annotations

import json
from datetime import date
from typing import NamedTuple

EF_START = 250  # hundredths


class Sm2State(NamedTuple):
    """A card's SM-2 memory state. `ef` is in hundredths (250 means 2.50)."""

    ef: int = EF_START
    repetitions: int = 0
    interval: int = 0
    due: date | None = None
    lapses: int = 0
    last_review: date | None = None

    @property
    def is_new(self) -> bool:
        return self.last_review is None


class FsrsState(NamedTuple):
    """A card's FSRS memory state; `stability is None` means never reviewed."""

    stability: float | None = None
    difficulty: float | None = None
    due: date | None = None
    last_review: date | None = None

    @property
    def is_new(self) -> bool:
        return self.stability is None

    def to_json(self) -> str:
        data = self._asdict()
        data["due"] = self.due.isoformat() if self.due else None
        data["last_review"] = self.last_review.isoformat() if self.last_review else None
        return json.dumps(data, sort_keys=True)


class Memory(NamedTuple):
    """Everything the schedulers remember about one card."""

    sm2: Sm2State = Sm2State()
    fsrs: FsrsState = FsrsState()

    @property
    def last_review(self) -> date | None:
        return self.sm2.last_review

    @property
    def is_new(self) -> bool:
        return self.sm2.is_new
