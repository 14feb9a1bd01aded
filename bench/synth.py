"""A synthetic collection for the benchmarks, deterministic from a seed.

- `write_decks(directory, n_cards, n_decks, seed)` writes YAML deck files `syn01.yaml`,
  `syn02.yaml`, ... (topics `syn01`..`synNN`, card ids `syn01-1`, ...) with questions and answers
  of realistic length, some bold text and some LaTeX, a few tags and a source line.
- `review_history(card_ids, n_reviews, today, seed)` yields review-log rows (`ReviewRow` values,
  oldest first per card) that replay SM-2 exactly: each card's last state is what
  `Store.import_reviews` stores. About a fifth of the cards stay new; the rest end with due dates
  from a week overdue to an interval ahead. Histories are cut after a number of reviews, not at a
  moment in time, so many cards end on a short interval: about half the reviewed cards are due
  (a heavy backlog, the worst case for `due` and `study`) and a fifth of the log is from the last
  30 days (more than a person reviews; the worst case for `stats`).

Nothing here touches the database; `bench/run.py` loads the rows with `Store.import_reviews`.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from dlcards import sm2
from dlcards.memory import Memory
from dlcards.store import ReviewRow

TODAY = date(2026, 11, 26)

_WORDS = (
    "gradient loss weight bias activation neuron layer network batch epoch learning rate "
    "momentum optimizer convergence minimum saddle point curvature Hessian Jacobian chain rule "
    "backpropagation forward pass logits softmax sigmoid tanh ReLU dropout regularization "
    "overfitting variance cross-entropy likelihood probability label target prediction error "
    "residual normalization initialization vanishing exploding update step parameter vector "
    "matrix tensor dimension input output hidden perceptron margin hinge Huber robust outlier "
    "derivative partial objective surface landscape stochastic mini-batch full-batch decay"
).split()
_STARTS = (
    "What is",
    "Why does",
    "How does",
    "Explain why",
    "State the formula for",
    "What happens to",
    "Compare",
    "Derive",
    "When should you prefer",
    "What is the role of",
)
_LATEX = (
    r"$\frac{\partial \mathcal{L}}{\partial w}$",
    r"$\mathbf{W}^{(l)} \mathbf{a}^{(l-1)} + \mathbf{b}^{(l)}$",
    r"$\sigma(z) = \frac{1}{1 + e^{-z}}$",
    r"$\eta \nabla_{\mathbf{W}} \mathcal{L}$",
    r"$\sum_{i=1}^{n} y_i \log \hat{y}_i$",
    r"$$\mathbf{W}_{t+1} = \mathbf{W}_t - \eta \, \mathbf{g}_t$$",
    r"$\tanh'(z) = 1 - \tanh^2(z)$",
    r"$\sqrt{\frac{2}{n_{\text{in}}}}$",
)
_TAGS = ("math", "interview", "formula", "intuition")


def _sentence(rng: random.Random, low: int, high: int) -> str:
    words = [rng.choice(_WORDS) for _ in range(rng.randint(low, high))]
    if rng.random() < 0.4:
        i = rng.randrange(len(words))
        words[i] = f"**{words[i]}**"
    if rng.random() < 0.35:
        words.insert(rng.randrange(len(words) + 1), rng.choice(_LATEX))
    return " ".join(words)


def _card_text(rng: random.Random) -> tuple[str, str]:
    question = f"{rng.choice(_STARTS)} {_sentence(rng, 6, 20)}?"
    answer = ". ".join(_sentence(rng, 6, 18) for _ in range(rng.randint(1, 3))) + "."
    return question, answer[0].upper() + answer[1:]


def deck_sizes(n_cards: int, n_decks: int) -> list[int]:
    """Cards per deck: as even as possible, the first decks taking the remainder."""
    n_decks = max(1, min(n_decks, n_cards))
    base, extra = divmod(n_cards, n_decks)
    return [base + (1 if i < extra else 0) for i in range(n_decks)]


def write_decks(directory: Path, n_cards: int, n_decks: int = 50, seed: int = 1) -> list[str]:
    """Write the deck files; returns every card id in deck order."""
    rng = random.Random(seed)
    directory.mkdir(parents=True, exist_ok=True)
    ids: list[str] = []
    q = json.dumps  # a JSON string is a valid YAML double-quoted scalar
    for d, size in enumerate(deck_sizes(n_cards, n_decks), start=1):
        topic = f"syn{d:02d}"
        lines = [
            f"topic: {topic}",
            f"title: Synthetic topic {d:02d}, {rng.choice(_WORDS)} and {rng.choice(_WORDS)}",
            "cards:",
        ]
        for i in range(1, size + 1):
            card_id = f"{topic}-{i}"
            ids.append(card_id)
            question, answer = _card_text(rng)
            lines += ["", f"- id: {card_id}", f"  question: {q(question)}"]
            lines.append(f"  answer: {q(answer)}")
            if rng.random() < 0.3:
                lines.append(f"  tags: [{rng.choice(_TAGS)}]")
            lines.append(f"  source: 'Synthetic topic {d:02d} #{i}'")
        (directory / f"{topic}.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return ids


_GRADE_VALUES = tuple(sm2.Grade(g) for g in range(6))
# Percent per grade 0..5, as a learner who mostly remembers: about 10% failures while intervals
# are short, more as they grow past a year (as forgetting does), which keeps every history
# within decades and leaves intervals from days to years.
_WEIGHTS_SHORT = (2, 3, 5, 10, 50, 30)  # interval under a month: 10% failures
_WEIGHTS_MEDIUM = (3, 4, 5, 13, 45, 30)  # under a year: 12%
_WEIGHTS_LONG = (10, 15, 15, 20, 25, 15)  # a year or more: 40%
_WEIGHTS_VERY_LONG = (25, 30, 25, 10, 6, 4)  # three years or more: 80%


def _cumulative(weights: tuple[int, ...]) -> list[int]:
    return [sum(weights[: i + 1]) for i in range(len(weights))]


_CUM = [
    _cumulative(w) for w in (_WEIGHTS_SHORT, _WEIGHTS_MEDIUM, _WEIGHTS_LONG, _WEIGHTS_VERY_LONG)
]


def _cum_weights(interval: int) -> list[int]:
    if interval < 365:
        return _CUM[0] if interval < 30 else _CUM[1]
    return _CUM[2] if interval < 3 * 365 else _CUM[3]


def reviews_per_card(n_cards: int, n_reviews: int, rng: random.Random) -> list[int]:
    """How many log rows each card gets: about 80% of cards share exactly `n_reviews`."""
    counts = [0] * n_cards
    reviewed = [i for i in range(n_cards) if rng.random() < 0.8] or list(range(n_cards))
    if n_cards == 0:
        return counts
    for _ in range(n_reviews):
        counts[reviewed[rng.randrange(len(reviewed))]] += 1
    return counts


def review_history(
    card_ids: Sequence[str], n_reviews: int, today: date = TODAY, seed: int = 1
) -> Iterator[ReviewRow]:
    """Exactly `n_reviews` rows replaying SM-2; a grade below 4 is followed by a re-drill.

    Each card's history is laid out so that its last review is before `today`: the last due
    date falls anywhere from a week overdue to one interval ahead.
    """
    rng = random.Random(seed * 7919 + 1)
    counts = reviews_per_card(len(card_ids), n_reviews, rng)
    for card_id, k in zip(card_ids, counts, strict=True):
        if k == 0:
            continue
        # Replay on relative days, then shift the whole history to end before today.
        states = [sm2.State()]
        plan: list[tuple[int, str, sm2.Grade, int]] = []  # (day, kind, grade, index of before)
        day = date(2000, 1, 1)
        while len(plan) < k:
            state = states[-1]
            grade = rng.choices(_GRADE_VALUES, cum_weights=_cum_weights(state.interval))[0]
            after, _ = sm2.review(state, grade, day)
            states.append(after)
            plan.append((day.toordinal(), "scheduled", grade, len(states) - 2))
            if grade < sm2.Grade.GOOD and len(plan) < k:
                plan.append((day.toordinal(), "redrill", sm2.Grade.GOOD, len(states) - 1))
            assert after.due is not None
            day = after.due + timedelta(days=rng.randint(0, 3))
        last = plan[-1][0]
        final = states[-1]
        shift = today.toordinal() - rng.randint(1, final.interval + 7) - last
        moved = [_shifted(st, shift) for st in states]
        for n, (ordinal, kind, grade, before) in enumerate(plan):
            when = date.fromordinal(ordinal + shift)
            yield ReviewRow(
                id=0,
                card_id=card_id,
                kind=kind,
                grade=int(grade),
                before=Memory(sm2=moved[before]),
                after=Memory(sm2=moved[before + 1] if kind == "scheduled" else moved[before]),
                seconds=round(rng.uniform(2.0, 40.0), 1),
                session_id=None,
                day=when,
                # a card's reviews a minute apart from 09:00, in the order they happened (a
                # re-drill after its day's scheduled review: replayed in time order, the log
                # gives the memory the rows say)
                reviewed_at=f"{when.isoformat()}T{9 + n // 60 % 12:02d}:{n % 60:02d}:00.000+00:00",
            )


def _shifted(state: sm2.State, days: int) -> sm2.State:
    def move(d: date | None) -> date | None:
        return date.fromordinal(d.toordinal() + days) if d else None

    return sm2.State(
        ef=state.ef,
        repetitions=state.repetitions,
        interval=state.interval,
        due=move(state.due),
        lapses=state.lapses,
        last_review=move(state.last_review),
    )


# dlcards grade 0..5 -> Anki's answer button (1 Again, 2 Hard, 3 Good, 4 Easy): the inverse of
# dlcards.importers.anki_progress.GRADES, the grades below 3 being Again.
ANKI_EASE = (1, 1, 1, 2, 3, 4)


class AnkiLog:
    """The review rows as Anki's `revlog` holds them, collected as they stream past (`add`),
    with each card's last SM-2 state: what an Anki collection of the same history holds."""

    def __init__(self, card_ids: Sequence[str]) -> None:
        self.number = {cid: n for n, cid in enumerate(card_ids)}
        self.rows: list[tuple[int, ...]] = []
        self.last: dict[str, sm2.State] = {}  # card id -> its state after its last row
        self._taken: set[int] = set()

    def add(self, r: ReviewRow) -> ReviewRow:
        """One row: (id, card number, ease, ivl, lastIvl, factor, time, type), the card number
        its place in `card_ids`. An id is the answer's time in ms, moved on by a millisecond
        while another row has it (Anki's ids are unique); type 0 for a card's first answer, 2
        (relearning) for a re-drill, else 1 (review)."""
        ms = int(datetime.fromisoformat(r.reviewed_at).timestamp()) * 1000
        while ms in self._taken:
            ms += 1
        self._taken.add(ms)
        b, a = r.before.sm2, r.after.sm2
        kind = 2 if r.kind != "scheduled" else 0 if b.last_review is None else 1
        seconds = int((r.seconds or 0) * 1000)
        self.rows.append(
            (ms, self.number[r.card_id], ANKI_EASE[r.grade], a.interval, b.interval, a.ef * 10,
             seconds, kind)
        )  # fmt: skip
        self.last[r.card_id] = a
        return r

    def collect(self, rows: Iterable[ReviewRow]) -> Iterator[ReviewRow]:
        """The rows, unchanged, each added on its way past."""
        for r in rows:
            yield self.add(r)

    def sorted(self) -> list[tuple[int, ...]]:
        self.rows.sort()
        return self.rows


def anki_collection(log: AnkiLog, card_ids: Sequence[str]) -> Any:
    """An Anki collection of the history as dlcards reads one from a file (an
    `anki_file.Collection`, in memory): one note per card with the GUID dlcards's export gives
    it, one card, and the review log: what `dlcards import anki` converts and merges."""
    from dlcards.export.anki import note_guid
    from dlcards.importers.anki_file import Card, Collection, Note, Revlog

    base = 1_500_000_000_000
    notes = [Note(base + n, note_guid(cid), 1, (), (cid, "")) for n, cid in enumerate(card_ids)]
    cards = [Card(base + n, base + n, 1, 0) for n in range(len(card_ids))]
    revlog = [
        Revlog(ms, base + card, ease, kind, seconds)
        for ms, card, ease, _ivl, _last, _factor, seconds, kind in log.sorted()
    ]
    return Collection(Path("synthetic.anki2"), 18, {}, {1: "Default"}, notes, cards, revlog)
