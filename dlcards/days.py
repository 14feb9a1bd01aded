"""The study day: `--today`, else DLCARDS_TODAY, else the local calendar date (one home)."""

from __future__ import annotations

import os
from datetime import date

from dlcards.errors import UsageError


def today_from(option: str | None) -> date:
    """The study day: --today, else DLCARDS_TODAY, else the local calendar date."""
    text = option or os.environ.get("DLCARDS_TODAY")
    if not text:
        return date.today()
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        source = "--today" if option else "DLCARDS_TODAY"
        raise UsageError(f"{source} must be a date like 2026-11-26, not {text!r}") from None
