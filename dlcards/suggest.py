""" "Did you mean …?": one rule for every suggestion the program makes (pure)."""

from __future__ import annotations

from collections.abc import Collection, Iterable

CUTOFF = 0.6
FULL_SCAN = 1_000
"""Up to this many choices, every one is compared with the word (difflib's ratio, ~10 µs a
choice); beyond, only those a few typing slips away (`near`): the 100,000 ids of a
lifetime's collection compared one by one took 1-2.4 s of CPU for `show` of a mistyped id."""


def closest(word: str, choices: Iterable[str], n: int = 1) -> list[str]:
    """Up to `n` choices that look like `word`, best first (difflib's ratio >= CUTOFF, case
    ignored: `GD-1` is close to `gd-1`). Never `word` itself: a list of names read before the
    name went away (a deck's index read before the deck was saved without the card) said
    "unknown card id 'own-4' (did you mean 'own-4' ...)". Among more than FULL_SCAN choices,
    only those `near` the word are compared."""
    import difflib  # only a mistyped name needs it

    pool = choices if isinstance(choices, Collection) else list(choices)
    if len(pool) > FULL_SCAN:
        pool = near(word, pool)
    folded: dict[str, str] = {}
    for choice in pool:
        if choice != word:
            folded.setdefault(choice.casefold(), choice)
    found = difflib.get_close_matches(word.casefold(), list(folded), n=n, cutoff=CUTOFF)
    return [folded[f] for f in found]


def near(word: str, choices: Collection[str]) -> list[str]:
    """The choices (case ignored) one edit from `word` (a character deleted, inserted,
    replaced, or two swapped), or two edits of which one deletes a character of it (a
    character too many, and another slip): `gd-230` finds `gd-23`, `gd-30` and `gd-20`,
    `syn01-99999` finds `syn01-999`. Each candidate is looked up, not compared: about a
    thousand look-ups for an id, whatever the number of choices."""
    joined = "\n".join(choices)
    if joined == joined.casefold():  # card ids are: the choices are their own index
        index: Collection[str] = (
            choices if isinstance(choices, (set, frozenset, dict)) else set(choices)
        )
        originals: dict[str, str] | None = None
    else:
        originals = {}
        for choice in choices:
            originals.setdefault(choice.casefold(), choice)
        index = originals
    letters = set(joined)
    letters.discard("\n")
    once = _edits(word.casefold(), sorted(letters))
    twice = {d for edited in once for d in _deletions(edited)}
    found = sorted(c for c in once | twice if c in index)
    return found if originals is None else [originals[c] for c in found]


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _edits(word: str, letters: Iterable[str]) -> set[str]:
    """Every string one edit from `word`, with the inserted or replacing characters from
    `letters` (Norvig's `edits1`)."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    letters = tuple(letters)
    edits = _deletions(word)
    edits.update(a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1)
    edits.update(a + c + b[1:] for a, b in splits if b for c in letters)
    edits.update(a + c + b for a, b in splits for c in letters)
    return edits


def did_you_mean(word: str, choices: Iterable[str], n: int = 1) -> str:
    """` (did you mean 'x'?)` (or `'x' or 'y'`, `'x', 'y' or 'z'` with n > 1), or '' when
    nothing is close (three were `'x' or 'y' or 'z'`)."""
    close = [f"'{c}'" for c in closest(word, choices, n)]
    if not close:
        return ""
    listed = ", ".join(close[:-1]) + " or " + close[-1] if len(close) > 1 else close[0]
    return f" (did you mean {listed}?)"
