""" "Did you mean …?": one rule for every suggestion the program makes (pure)."""

from __future__ import annotations

from collections.abc import Iterable

CUTOFF = 0.6


def closest(word: str, choices: Iterable[str], n: int = 1) -> list[str]:
    """Up to `n` choices that look like `word`, best first (difflib's ratio >= CUTOFF, case
    ignored: `GD-1` is close to `gd-1`). Never `word` itself: a list of names read before the
    name went away (a deck's index read before the deck was saved without the card) said
    "unknown card id 'own-4' (did you mean 'own-4' ...)"."""
    import difflib  # only a mistyped name needs it

    folded: dict[str, str] = {}
    for choice in choices:
        if choice != word:
            folded.setdefault(choice.casefold(), choice)
    found = difflib.get_close_matches(word.casefold(), list(folded), n=n, cutoff=CUTOFF)
    return [folded[f] for f in found]


def did_you_mean(word: str, choices: Iterable[str], n: int = 1) -> str:
    """` (did you mean 'x'?)` (or `'x' or 'y'` with n > 1), or '' when nothing is close."""
    close = closest(word, choices, n)
    if not close:
        return ""
    return " (did you mean " + " or ".join(f"'{c}'" for c in close) + "?)"
