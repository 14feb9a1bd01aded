""" "Did you mean …?": one rule for every suggestion the program makes (pure)."""

from __future__ import annotations

from collections.abc import Iterable

CUTOFF = 0.6


def closest(word: str, choices: Iterable[str], n: int = 1) -> list[str]:
    """Up to `n` choices that look like `word`, best first (difflib's ratio >= CUTOFF)."""
    import difflib  # only a mistyped name needs it

    return difflib.get_close_matches(word, list(choices), n=n, cutoff=CUTOFF)


def did_you_mean(word: str, choices: Iterable[str], n: int = 1) -> str:
    """` (did you mean 'x'?)` (or `'x' or 'y'` with n > 1), or '' when nothing is close."""
    close = closest(word, choices, n)
    if not close:
        return ""
    return " (did you mean " + " or ".join(f"'{c}'" for c in close) + "?)"
