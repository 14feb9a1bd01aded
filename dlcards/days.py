"""The study day: `--today`, else DLCARDS_TODAY, else the local date, a day that starts at the
collection's `day_starts_at` hour (one home)."""

from __future__ import annotations

import os
from datetime import date, datetime, time, timedelta

from dlcards.errors import UsageError, quoted
from dlcards.settings import DAY_STARTS_AT

FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2199, 12, 31)
"""The range `--today` accepts: wide enough for any study day, narrow enough that every date a
scheduler computes from it (a due date up to 100 years on) is a valid date."""


def _iso_shaped(text: str) -> bool:
    """YYYY-MM-DD in ASCII digits (the shape; `date.fromisoformat` checks the date)."""
    digits = text[:4] + text[5:7] + text[8:]
    return len(text) == 10 and text[4] == text[7] == "-" and digits.isascii() and digits.isdigit()


def local_study_day(starts_at: int = DAY_STARTS_AT, now: datetime | None = None) -> date:
    """The study day it is now: the local date, the one before until the hour `starts_at`
    (Anki's "next day starts at": at 4, a session at 1 AM counts with the evening before, and
    a card learned at 23:55 is not due again at 00:05)."""
    moment = now or datetime.now()
    return moment.date() - timedelta(days=1) if moment.hour < starts_at else moment.date()


def study_day_start(day: date, starts_at: int = DAY_STARTS_AT) -> datetime:
    """The moment study day `day` starts (`local_study_day`'s inverse): its date at the hour
    `starts_at`, local time (aware)."""
    return datetime.combine(day, time(starts_at)).astimezone()


def clock_problem(now: datetime | None = None) -> str | None:
    """What is wrong with the system clock, when its date is outside the dates dlcards accepts
    (a machine without a clock battery starts in 1970; a clock set to 2300 overflowed
    Python's nanosecond clock, a traceback): every grade and session is dated by it, and a
    day computed from it says nothing true about what is due. None when it is in range."""
    if now is not None:
        moment = now
    else:
        try:
            moment = datetime.now()
        except OverflowError:  # past 2262: Python 3.13's nanosecond clock raises (3.11 stops)
            import time

            moment = datetime(*time.localtime()[:6])  # the C library's clock, in seconds
    if FIRST_DAY <= moment.date() <= LAST_DAY:
        return None
    return (
        f"the system clock says {moment:%Y-%m-%d %H:%M}, outside the dates dlcards accepts "
        f"({FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()}); set the clock (grades are "
        "dated by it)"
    )


def given_day() -> bool:
    """Whether DLCARDS_TODAY gives the day (--today is the caller's to know)."""
    return bool(os.environ.get("DLCARDS_TODAY", "").strip())


def today_from(option: str | None) -> date:
    """The study day: --today, else DLCARDS_TODAY, else the local study day at the default
    hour (`local_study_day`; a command that opens the collection then takes its own hour,
    `commands.common.not_before_the_log`). Only an ISO date YYYY-MM-DD from FIRST_DAY to
    LAST_DAY is accepted (not 20261126 nor 2026-W48-4)."""
    if option is not None:
        text, source = option, "--today"
    else:
        text, source = os.environ.get("DLCARDS_TODAY", "").strip(), "DLCARDS_TODAY"
        if not text:
            return local_study_day()
    day: date | None = None
    if _iso_shaped(text.strip()):
        try:
            day = date.fromisoformat(text.strip())
        except ValueError:
            day = None
    if day is None:
        raise UsageError(
            f"{source} must be a date like 2026-11-26 (YYYY-MM-DD), not {quoted(text)}"
        )
    if not FIRST_DAY <= day <= LAST_DAY:
        raise UsageError(
            f"{source} {day.isoformat()} is outside the dates dlcards accepts "
            f"({FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()})"
        )
    return day


def due_words(due: date, today: date) -> str:
    """A card's due date as a learner reads it on study day `today`, as Anki's card info and
    browser make it plain: `due today`, `due tomorrow`, `due 2026-11-15 (22 days overdue)`,
    and a later date as it is (`due 2026-12-20`). The one wording of every screen that shows a
    card's due date (`show`, `undo`); `--json` keeps the ISO date."""
    late = (today - due).days
    if late == 0:
        return "due today"
    if late == -1:
        return "due tomorrow"
    if late > 0:
        return f"due {due.isoformat()} ({late:,} day{'s' if late != 1 else ''} overdue)"
    return f"due {due.isoformat()}"
