"""The study session's queue and flow, independent of the terminal.

The queue: due reviews (most overdue first) up to what is left of the day's review cap, then
new cards in deck order up to what is left of the day's new-card limit and of the review cap
(new cards count against it, as in Anki with "new cards ignore review limit" off), then the
re-drills: every card graded below 4 comes back at the end of the queue until it is graded 4
or 5 (SM-2's step 7); a card suspended as a leech leaves the session. Re-drills still owed
from earlier sessions today come from the day's log, so they survive a quit, a kill or a
closed terminal. Re-drills are logged but do not change the schedule. A card suspended from
the session (`suspend`, the `!` key) leaves it at once, its flag saved as `dlcards suspend`
saves it; the undo stack holds grades and suspensions in the order they happened. What a
grade does is `dlcards.grading.decide`; the intervals shown are the active scheduler's. The
scheduler and the leech rule are the collection's settings as they are when each card is shown
and when each grade commits (read inside its transaction): a `dlcards config` in another
terminal takes effect on the next card, and never leaves a grade decided by the settings it
replaced. So do the day's limits (`keep_to_limits`, before each card): the new-card limit and
the review cap as they are then, and the grades of other terminals; and after a switch of
scheduler, the due reviews are those the new one has due. The clock comes in as a
function so tests control it, and so does the study day
by the clock (`day_at`): a session that goes on past the hour a new study day starts shows no
more cards of the old day's queue (`rolled_over`); a card already on screen is graded for the
day it was shown on.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import partial
from typing import NamedTuple

from dlcards import sm2
from dlcards.grading import LeechRule, Outcome, decide, redecider
from dlcards.limits import cap_left, today_counts
from dlcards.memory import Memory
from dlcards.scheduling import Schedule
from dlcards.settings import NEW_PER_DAY_MAX, Settings
from dlcards.store import ReviewRow, Store
from dlcards.store.core import Rebuild
from dlcards.store.merge import Redecide
from dlcards.store.rows import REVIEW_COLUMNS, Unsuspended, review_values

MEMORY_COLUMNS = (
    REVIEW_COLUMNS.index("ef_before"),
    REVIEW_COLUMNS.index("fsrs_before") + 1,
)
"""The slice of a log row's values that holds the card's memory before and after it."""

REDRILL_BELOW = sm2.Grade.GOOD  # grades below 4 come back in the same session
# An answer's time counts at most this long (Anki's cap), so a card left on screen while the
# learner is away does not count the whole break.
MAX_ANSWER_SECONDS = 60.0


class Item(NamedTuple):
    """A place in the queue (a tuple: a session of 40,000 due cards makes one each)."""

    card_id: str
    kind: str  # "due" | "new" | "redrill"


class Graded(NamedTuple):
    """A grade given in this session, on the undo stack."""

    item: Item
    row: ReviewRow
    queued: bool  # whether it queued a re-drill


@dataclass(frozen=True)
class Suspended:
    """A card suspended from this session, on the undo stack. `changed`: whether this session
    set the flag (False: another terminal had suspended it already, and an undo leaves it)."""

    item: Item
    changed: bool
    undo: Unsuspended | None = field(default=None, compare=False)  # for its undo


@dataclass
class Summary:
    grades: Counter[int] = field(default_factory=Counter)
    scheduled: int = 0
    passed: int = 0
    redrills: int = 0
    cards: set[str] = field(default_factory=set)
    seconds: float = 0.0
    suspended: list[str] = field(default_factory=list)  # suspended from the session, in order

    @property
    def reviews(self) -> int:
        return sum(self.grades.values())

    @property
    def retention(self) -> float | None:
        """Share of the day's scheduled grades that were >= 3."""
        return self.passed / self.scheduled if self.scheduled else None


@dataclass(frozen=True)
class Limits:
    new: int = 20  # new cards per day, across sessions
    reviews: int | None = None  # due reviews per session (None: all)
    per_day: int | None = None  # cards reviewed per day, new ones included (None: no cap)
    # whether `new` and `per_day` are the collection's settings (`new_per_day`,
    # `reviews_per_day`) rather than given for the session (`--new`): then read again before
    # each card, as they are then
    new_setting: bool = False
    cap_setting: bool = False

    def now(self, settings: Settings) -> Limits:
        """These limits with the collection's `settings` as they are now, where they follow
        them."""
        return replace(
            self,
            new=settings.new_per_day if self.new_setting else self.new,
            per_day=settings.review_cap if self.cap_setting else self.per_day,
        )


@dataclass(frozen=True)
class Plan:
    """Today's queue before re-drills: the due reviews taken, the new cards taken, and how many
    due reviews wait beyond the day's cap."""

    due: list[str]
    new: list[str]
    beyond_cap: int


def plan(
    store: Store,
    schedule: Schedule,
    today: date,
    limits: Limits,
    topics: Sequence[str] = (),
    allowed: set[str] | None = None,
) -> Plan:
    """Which due and new cards today's session shows, by the day's limits (`dlcards.limits`,
    the arithmetic `due` and `due --count` use too)."""

    by = schedule.name
    if allowed is None:  # counted from the tally, and only the cards shown listed
        total, chosen = store.count_due(today, by, topics), None
    else:  # the session's own cards, looked up by their ids
        chosen = store.due_ids(today, by, topics, within=allowed)
        total = len(chosen)
    left = cap_left(limits.per_day, store.reviews_today(today) if limits.per_day is not None else 0)
    n_due, _ = today_counts(total, 0, 0, left)
    beyond = total - n_due
    # new cards get what the cap leaves after every due review it allows today, as `due`
    # counts them: a session shortened by --reviews leaves that room to the reviews it did not
    # take (a backlog is not topped up with new cards)
    _, new_left = today_counts(
        n_due, NEW_PER_DAY_MAX, limits.new - store.new_introduced(today), left
    )
    if limits.reviews is not None:  # a shorter session
        n_due = min(n_due, limits.reviews)
    due = chosen[:n_due] if chosen is not None else store.due_ids(today, by, topics, n_due)
    new: list[str] = []
    if new_left:
        new = store.new_ids(by, topics, new_left, as_of=today, within=allowed)
    return Plan(due, new, beyond)


def _raised(before: Limits, now: Limits) -> bool:
    """Whether the new-card limit or the review cap allows more now than before."""
    cap_raised = before.per_day is not None and (
        now.per_day is None or now.per_day > before.per_day
    )
    return now.new > before.new or cap_raised


def _due_by(settings: Settings) -> tuple[object, ...]:
    """What the active scheduler's due dates depend on among the settings."""
    if settings.scheduler == "fsrs":
        return ("fsrs", settings.desired_retention, tuple(settings.fsrs_parameters))
    return (settings.scheduler,)


class StudySession:
    def __init__(
        self,
        store: Store,
        card_ids: Sequence[str] | None,
        today: date,
        clock: Callable[[], datetime],
        limits: Limits = Limits(),
        topics: Sequence[str] = (),
        day_at: Callable[[datetime], date] | None = None,
    ) -> None:
        """`card_ids`: the cards this session may show (e.g. filtered by tag), None for all.
        The scheduler and the leech rule come from the store's settings. `day_at`: the study
        day at a moment, by the clock (None: the day was given, `--today`, and stays)."""
        self.store = store
        self.today = today
        self.limits = limits
        self.clock = clock
        self.day_at = day_at
        self.new_day: date | None = None  # the study day that ended the session, if one did
        # the due reviews and new cards the day's limits took out when that ended the session
        # (`keep_to_limits`), and those limits
        self.ended_by_limits: tuple[int, int, Limits] | None = None
        self.held: list[Item] = []  # due reviews and new cards the day's limits hold back
        self.seen_limits = limits  # the limits as `keep_to_limits` found them last
        self.gone: set[str] = set()  # the cards that left the session (`leave`)
        self.settings = store.settings()
        self.schedule = Schedule.from_settings(self.settings)
        self.leech = LeechRule.from_settings(self.settings)
        allowed = set(card_ids) if card_ids is not None else None
        planned = plan(store, self.schedule, today, limits, topics, allowed)
        self.topics, self.allowed = list(topics), allowed
        # what the due cards the queue holds were due by: the active scheduler and, for FSRS,
        # its retention and parameters (they move every due date)
        self.planned_by = _due_by(self.settings)
        self.beyond_cap = planned.beyond_cap
        due, new = planned.due, planned.new
        owed = store.redrills_due(today, int(REDRILL_BELOW), topics)
        if owed:
            queued = set(due) | set(new)
            owed = [c for c in owed if c not in queued and (allowed is None or c in allowed)]
        self.queue: list[Item] = (
            [Item(c, "due") for c in due]
            + [Item(c, "new") for c in new]
            + [Item(c, "redrill") for c in owed]
        )
        self.position = 0
        self.actions: list[Graded | Suspended] = []  # what `undo` takes back, newest last
        self.summary = Summary()
        self.session_id: int | None = None
        self._shown: tuple[str, Memory] | None = None  # the card's memory `preview` read
        # the grades `preview` found would make its card a leech that is suspended (it then
        # leaves the session instead of coming back as a re-drill)
        self.suspending: frozenset[sm2.Grade] = frozenset()

    # --- queue --------------------------------------------------------------------------------

    @property
    def current(self) -> Item | None:
        return self.queue[self.position] if self.position < len(self.queue) else None

    @property
    def done(self) -> bool:
        return self.current is None

    @property
    def total(self) -> int:
        return len(self.queue)

    def remaining(self) -> dict[str, int]:
        left = Counter(item.kind for item in self.queue[self.position :])
        return {"new": left["new"], "due": left["due"], "redrill": left["redrill"]}

    def rolled_over(self) -> bool:
        """Whether the study day by the clock is now later than the session's (the day's start
        hour passed during it): then the session shows no more cards, its queue being the old
        day's (due dates, new-card quota and review cap of that day). The new day is kept in
        `new_day`; a session whose day was given never rolls over."""
        if self.day_at is not None and self.new_day is None:
            day = self.day_at(self.clock())
            if day > self.today:
                self.new_day = day
        return self.new_day is not None

    def keep_to_limits(self) -> tuple[int, int, Limits]:
        """Fit the rest of the queue to the day's limits as they are now (a grade logged in
        another terminal counts, and so does `dlcards config new_per_day` or `reviews_per_day`
        changed meanwhile, where the limits follow the settings), as Anki rebuilds its queues:
        the due reviews and new cards they no longer allow are held back, and those held back
        come back when they allow them again (a limit raised). The same arithmetic as `plan`,
        on what is left of the queue, so that nothing changes while nothing else does.
        Re-drills stay. Returns how many due reviews and new cards this call held back, and
        the limits."""
        settings = self.store.settings()
        limits = self.limits.now(settings)
        self._adopt(settings)
        if _due_by(settings) != self.planned_by:
            self._due_by_the_active_scheduler(limits)
        if _raised(self.seen_limits, limits):
            self._offer_more(limits)
        self.seen_limits = limits
        rest = self.queue[self.position :]
        due = [i for i in rest if i.kind == "due"]
        new = [i for i in rest if i.kind == "new"]
        if not due and not new and not self.held:
            return 0, 0, limits
        due += [i for i in self.held if i.kind == "due"]
        new += [i for i in self.held if i.kind == "new"]
        reviewed = self.store.reviews_today(self.today) if limits.per_day is not None else 0
        left = cap_left(limits.per_day, reviewed)
        new_left = limits.new - self.store.new_introduced(self.today) if new else 0
        n_due, n_new = today_counts(len(due), len(new), new_left, left)
        graded: set[Item] = set()
        if n_due < len(due) or n_new < len(new):
            # a card graded today in another terminal counts already: here its grade will be
            # a re-drill, which takes nothing from the limits, so it stays and is not counted
            # (one held back is let go: it is not due nor new today any more)
            graded = {i for i in due + new if self._graded_today(i.card_id)}
            due = [i for i in due if i not in graded]
            new = [i for i in new if i not in graded]
            self.held = [i for i in self.held if i not in graded]
            n_due, n_new = today_counts(len(due), len(new), new_left, left)
        kept = set(due[:n_due]) | set(new[:n_new]) | graded
        taken = [i for i in rest if i.kind != "redrill" and i not in kept]
        back = [i for i in self.held if i in kept]
        if not taken and not back:
            return 0, 0, limits
        # a set: the list searched for each card was quadratic (a cap lowered in another
        # terminal under a session of 46,000 due cards: ~30 s before its next card)
        held_back = set(taken)
        order = [i for i in rest if i not in held_back]
        # those let back in go where they were planned: due reviews before the first new card
        # or re-drill, new cards before the first re-drill
        for kind, before in (("due", ("new", "redrill")), ("new", ("redrill",))):
            at = next((n for n, i in enumerate(order) if i.kind in before), len(order))
            order[at:at] = [i for i in back if i.kind == kind]
        self.queue[self.position :] = order
        self.held = [i for i in self.held if i not in kept] + taken
        return (
            sum(1 for i in taken if i.kind == "due"),
            sum(1 for i in taken if i.kind == "new"),
            limits,
        )

    def refilled(self) -> bool:
        """At the end of the queue: whether a limit raised since the last card (`dlcards
        config` in another terminal while it was on screen) lets more cards in, as Anki's
        rebuilt queues would show them, rather than ending the session."""
        if not _raised(self.seen_limits, self.limits.now(self.store.settings())):
            return False
        self.keep_to_limits()
        return not self.done

    def _offer_more(self, limits: Limits) -> None:
        """A limit raised (`dlcards config new_per_day` or `reviews_per_day` in another
        terminal): the due reviews and new cards it may now allow, beyond those the session
        planned or holds (the plan took only what the limits allowed then), are held back
        here, as many as the raised limits could take, for `keep_to_limits` to let in as Anki
        rebuilds its queues (a cap raised from 3 to 10 left 4 due reviews for another
        session). Within the session's topics, its tag or search, and its `--reviews`."""
        known = {i.card_id for i in self.queue} | {i.card_id for i in self.held} | self.gone
        reviewed = self.store.reviews_today(self.today) if limits.per_day is not None else 0
        room = cap_left(limits.per_day, reviewed)  # None: no cap

        def chosen(ids: list[str], most: int | None) -> list[str]:
            fresh = [c for c in ids if c not in known]
            return fresh if most is None else fresh[: max(0, most)]

        by = self.schedule.name
        most_due = room
        if limits.reviews is not None:  # a shorter session: what it has not taken yet
            taken = sum(1 for i in [*self.queue, *self.held] if i.kind == "due")
            most_due = limits.reviews - taken if room is None else min(room, limits.reviews - taken)
        due = chosen(self.store.due_ids(self.today, by, self.topics, within=self.allowed), most_due)
        coming = sum(1 for i in [*self.queue[self.position :], *self.held] if i.kind == "new")
        most_new = limits.new - self.store.new_introduced(self.today) - coming
        if room is not None:
            most_new = min(most_new, room)
        new = []
        if most_new > 0:
            ids = self.store.new_ids(by, self.topics, None, as_of=self.today, within=self.allowed)
            new = chosen(ids, most_new)
        self.held += [Item(c, "due") for c in due] + [Item(c, "new") for c in new]

    def _due_by_the_active_scheduler(self, limits: Limits) -> None:
        """The scheduler was switched (`dlcards config scheduler` in another terminal), or FSRS's
        retention or parameters changed: the due reviews still to come are the ones the active
        scheduler says are due now, most overdue first (a card due before may not be, and the
        other way round), as many as `--reviews` still allows; `keep_to_limits` then fits them
        to the day's limits."""
        by = self.schedule.name
        due = self.store.due_ids(self.today, by, self.topics, within=self.allowed)
        if limits.reviews is not None:  # a shorter session: what it has not reviewed yet
            done = sum(1 for g in self.graded if g.item.kind == "due")
            due = due[: max(0, limits.reviews - done)]
        coming = {i.card_id for i in self.queue[self.position :] if i.kind != "due"}
        items = [Item(c, "due") for c in due if c not in coming]
        rest = [i for i in self.queue[self.position :] if i.kind != "due"]
        self.queue[self.position :] = items + rest
        self.held = [i for i in self.held if i.kind != "due"]
        self.planned_by = _due_by(self.settings)

    def _graded_today(self, card_id: str) -> bool:
        last = self.store.memory(card_id).last_review
        return last is not None and last >= self.today

    def start(self) -> None:
        if self.session_id is None:
            self.session_id = self.store.start_session("study", self.today, self.clock())

    def finish(self) -> None:
        if self.session_id is not None:
            self.store.end_session(self.session_id, self.clock())

    # --- actions ------------------------------------------------------------------------------

    def _adopt(self, settings: Settings) -> Schedule:
        """Take the settings as they are now (changed by `dlcards config` in another terminal,
        say); returns the schedule they make."""
        if settings != self.settings:
            self.settings = settings
            self.schedule = Schedule.from_settings(settings)
            self.leech = LeechRule.from_settings(settings)
        return self.schedule

    def preview(self) -> dict[sm2.Grade, int] | None:
        """The active scheduler's next interval per grade for the current card; None when the
        grade will be a re-drill (no change). Sets `suspending`."""
        item = self.current
        self.suspending = frozenset()
        if item is None or item.kind == "redrill":
            return None
        self._adopt(self.store.settings())
        memory = self.store.memory(item.card_id)
        # what a grade refused on a damaged file is decided from
        self._shown = (item.card_id, memory)
        probe = decide(memory, sm2.Grade.GOOD, self.today, self.schedule)
        if probe.kind == "redrill":
            return None  # graded today in another session: this grade is a re-drill
        if self.leech.action == "suspend" and self.leech.fires(memory.sm2.lapses + 1):
            self.suspending = frozenset(
                g
                for g in sm2.Grade
                if g < REDRILL_BELOW
                and decide(memory, g, self.today, self.schedule, leech=self.leech).leech
            )
        return self.schedule.preview(memory, self.today)

    def interval(self, row: ReviewRow) -> int:
        """The active scheduler's interval after a logged grade."""
        return self.schedule.interval(row.after)

    def grade(self, grade: sm2.Grade, seconds: float | None = None) -> ReviewRow:
        item = self.current
        if item is None:
            raise IndexError("the session is over")
        now = self.clock()
        if seconds is not None:
            seconds = min(max(seconds, 0.0), MAX_ANSWER_SECONDS)
        # from here on the grade is given: if the file is found damaged before it is saved (a
        # read below fails), it is kept as decided from what the learner saw
        with self.store.giving(partial(self._refused, item, grade, now, seconds)):
            self.start()
            redrill = item.kind == "redrill" and self._still_owed(item.card_id)

            def decided(memory: Memory, settings: Settings) -> Outcome:
                schedule = self._adopt(settings)  # as they are inside the grade's transaction
                return decide(memory, grade, self.today, schedule, redrill, self.leech)

            row = self.store.grade(
                item.card_id,
                decided,
                now,
                session_id=self.session_id,
                seconds=seconds,
                asked=redrill,
            )
        # a card suspended as a leech leaves the session (no re-drill)
        queued = grade < REDRILL_BELOW and row.leech != "suspend"
        if queued:
            self.queue.append(Item(item.card_id, "redrill"))
        self.actions.append(Graded(item, row, queued))
        self.position += 1
        self._count(row, +1)
        return row

    def _refused(
        self, item: Item, grade: sm2.Grade, now: datetime, seconds: float | None
    ) -> tuple[object, ...]:
        """The log row (REVIEW_COLUMNS' values) of a grade the store could not save, the file
        found damaged before its memory was read: decided from the memory shown with the
        answer (`preview`); a card shown without it (a re-drill) has its memory columns empty,
        which the restore's replay does not read."""
        shown = self._shown[1] if self._shown and self._shown[0] == item.card_id else None
        redrill = item.kind == "redrill"
        outcome = decide(shown or Memory(), grade, self.today, self.schedule, redrill, self.leech)
        values = review_values(
            ReviewRow(
                id=0,
                card_id=item.card_id,
                kind=outcome.kind,
                grade=int(grade),
                day=outcome.day,
                reviewed_at=now.isoformat(timespec="milliseconds"),
                before=outcome.before,
                after=outcome.after,
                seconds=seconds,
                session_id=self.session_id,
                leech=outcome.leech if shown is not None else None,
                asked=redrill,
            )
        )
        if shown is None:
            first, last = MEMORY_COLUMNS
            values = (*values[:first], *[None] * (last - first), *values[last:])
        return values

    def _still_owed(self, card_id: str) -> bool:
        """Whether the failed grade of this session that queued the card's re-drill is still
        in the log: undone in another terminal (`dlcards undo`), the card has no failed grade
        to drill today, and its next grade is decided by its day, like any other."""
        for _, row, queued in reversed(self.graded):
            if row.card_id == card_id and queued:
                return self.store.has_review(row.id)
        return True  # owed from an earlier session today

    @property
    def graded(self) -> list[Graded]:
        """This session's grades not undone, in the order given."""
        return [a for a in self.actions if isinstance(a, Graded)]

    def skip(self) -> None:
        """Move the current card to the end of the session (it comes back after the rest)."""
        item = self.current
        if item is not None:
            del self.queue[self.position]
            self.queue.append(item)

    def suspend(self) -> Suspended:
        """Suspend the current card (as `dlcards suspend` does, saved at once) and take it out
        of the session: neither graded nor a re-drill, the next card comes."""
        item = self.current
        if item is None:
            raise IndexError("the session is over")
        # may raise (locked, full disk): nothing has changed yet, the card stays on screen
        undo = self.store.suspend_one(item.card_id)
        del self.queue[self.position]
        done = Suspended(item, undo is not None, undo)
        self.actions.append(done)
        self.summary.suspended.append(item.card_id)
        return done

    def undo(self) -> tuple[ReviewRow, bool] | Suspended | None:
        """Take back the last grade or suspension of this session, the newest first.

        A grade: state and log restored exactly; returns the grade and whether it was still in
        the log (a backup restored meanwhile may have dropped it: then nothing is deleted). A
        suspension: the card is unsuspended (unless it had been suspended elsewhere before) and
        on screen again, where it was; returns it. None when there is nothing to undo."""
        if not self.actions:
            return None
        last = self.actions[-1]
        if isinstance(last, Suspended):
            if last.undo is not None:  # may raise (locked): nothing has changed yet
                self.store.take_back_suspension(last.item.card_id, last.undo)
            self.actions.pop()
            self.queue.insert(self.position, last.item)
            self.summary.suspended.remove(last.item.card_id)
            return last
        item, row, queued = last
        # may raise (locked): nothing has changed yet, the grade stays undoable
        with self.store.undoing(row.id):  # kept as done if the file is found damaged
            undone = self.store.undo(row.id, self._undo_rules, expect=row)
        self.actions.pop()
        redrill = Item(item.card_id, "redrill")
        if queued and redrill in self.queue[self.position :]:
            # drop the re-drill this grade queued (the last one for this card)
            last_at = len(self.queue) - 1 - self.queue[::-1].index(redrill)
            del self.queue[last_at]
        self.position -= 1
        self._count(row, -1)
        return row, undone is not None

    def take_in(
        self, card_ids: Collection[str], on_screen: bool = False
    ) -> tuple[list[str], list[str]]:
        """Cards the decks gained while the session runs (a card added to a deck file, or one
        back in its deck), as Anki's queues take them when it rebuilds them after an edit: each
        due today joins the due reviews (as far as `--reviews` allows), and each new one joins
        the new cards while the day's new-card limit has room after the new cards the session
        holds already (they stay: a card added above them in its deck does not push one out),
        in deck order, before the re-drills. Cards of other topics than the session's, or that
        a `--tag` or `--search` session did not choose at its start, are not taken; the review
        cap is `keep_to_limits`'s. Returns the ids that joined, and the new ones the new-card
        limit leaves for another day. `on_screen`: the current card is shown (its key not yet
        given): they come after it, never in its place (a re-drill on screen has new cards
        put before it: its grade went to the new card, unseen)."""
        self.gone -= set(card_ids)  # back in a deck: a card like any other again
        known = {i.card_id for i in self.queue} | {i.card_id for i in self.held}
        wanted = {
            c for c in card_ids if c not in known and (self.allowed is None or c in self.allowed)
        }
        if not wanted:
            return [], []
        by = self.schedule.name
        due = self.store.due_ids(self.today, by, self.topics, within=wanted)
        new = self.store.new_ids(by, self.topics, None, as_of=self.today, within=wanted)
        limits = self.limits.now(self.store.settings())
        if limits.reviews is not None:  # a shorter session: what it has not taken yet
            taken = sum(1 for i in self.queue if i.kind == "due")
            due = due[: max(0, limits.reviews - taken)]
        rest = self.queue[self.position :]
        coming = sum(1 for i in rest if i.kind == "new")
        room = max(0, limits.new - self.store.new_introduced(self.today) - coming)
        new, waiting = new[:room], new[room:]
        for kind, ids, before in (("due", due, ("new", "redrill")), ("new", new, ("redrill",))):
            first = 1 if on_screen and rest else 0
            at = next((n for n, i in enumerate(rest) if n >= first and i.kind in before), len(rest))
            rest[at:at] = [Item(c, kind) for c in ids]
        self.queue[self.position :] = rest
        return due + new, waiting

    def leave(self, card_ids: set[str]) -> list[str]:
        """Take the cards still to come whose ids are in `card_ids` out of the session (their
        deck no longer has them, say); returns the ids taken out."""
        gone = [i for i in self.queue[self.position :] if i.card_id in card_ids]
        if gone:
            self.queue[self.position :] = [
                i for i in self.queue[self.position :] if i.card_id not in card_ids
            ]
        self.held = [i for i in self.held if i.card_id not in card_ids]  # nor come back
        self.gone |= set(card_ids)  # nor join again with a limit raised (`_offer_more`)
        return list(dict.fromkeys(i.card_id for i in gone))

    def _undo_rules(self, settings: Settings) -> tuple[Rebuild, Redecide]:
        schedule = self._adopt(settings)  # as they are inside the undo's transaction
        return schedule.replay, redecider(schedule, settings)

    def _count(self, row: ReviewRow, sign: int) -> None:
        s = self.summary
        s.grades[row.grade] += sign
        if s.grades[row.grade] == 0:
            del s.grades[row.grade]
        if row.kind == "scheduled":
            s.scheduled += sign
            s.passed += sign * (row.grade >= sm2.Grade.HARD)
        else:
            s.redrills += sign
        s.seconds += sign * (row.seconds or 0.0)
        s.cards = {r.card_id for _, r, _ in self.graded}
