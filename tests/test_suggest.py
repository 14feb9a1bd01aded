"""`suggest`: "did you mean" among a few names, and among a lifetime's 100,000 card ids."""

from __future__ import annotations

import difflib

import pytest

from dlcards.suggest import closest, did_you_mean

# 24,000 ids shaped as a big collection's: topic, dash, number
MANY = [f"syn{t:02d}-{i}" for t in range(1, 25) for i in range(1, 1001)]


def _best(word: str, choices: list[str], n: int) -> list[str]:
    """The reference: difflib over every choice, as the suggestion was made before."""
    return difflib.get_close_matches(word.casefold(), choices, n=n, cutoff=0.6)


@pytest.mark.parametrize("shape", [list, set, dict.fromkeys])
def test_among_many_ids_only_the_near_ones_are_compared(
    monkeypatch: pytest.MonkeyPatch, shape: type
) -> None:
    """At 100,000 cards `show` of a mistyped id compared it with every id (difflib, 1-2.4 s of
    CPU); now with the few a slip or two away, looked up in the ids."""
    compared: list[str] = []
    real = difflib.SequenceMatcher.ratio

    def ratio(self: difflib.SequenceMatcher[str]) -> float:
        compared.append(str(self.a))
        return real(self)

    monkeypatch.setattr(difflib.SequenceMatcher, "ratio", ratio)
    choices = shape(MANY)
    assert closest("syn07-999x", choices, n=2) == ["syn07-999", "syn07-99"]
    assert 0 < len(set(compared)) <= 60, len(set(compared))
    compared.clear()
    assert did_you_mean("SYN3-12", choices) == " (did you mean 'syn23-12'?)"
    assert 0 < len(set(compared)) <= 60, len(set(compared))


@pytest.mark.parametrize(
    "typo",
    [
        "syn07-999x",  # a character too many
        "syn07-99",  # one missing: an id of its own, so another is meant
        "sny07-123",  # two swapped
        "syn07-1o3",  # one replaced
        "SYN07-123",  # the case
        "syn7-123",  # one missing in the topic
        "syn07-12345",  # two too many
        "syn07--123",
        "syn07-1234x",  # one too many, one replaced
    ],
)
def test_the_near_ids_give_what_comparing_every_id_gave_first(typo: str) -> None:
    """The first suggestion of a slip or two is what difflib over all 24,000 ids says."""
    from dlcards.suggest import FULL_SCAN

    assert len(MANY) > FULL_SCAN
    found = closest(typo, MANY, n=1)
    assert found == _best(typo, [c for c in MANY if c != typo], n=1), typo
    assert found


def test_up_to_the_full_scan_every_choice_is_compared() -> None:
    """A few names (the built-in decks' 220 ids, topics, tags, settings) are compared one by
    one, as always: the same suggestions, far ones too (three slips from `gd-23`)."""
    from dlcards.suggest import FULL_SCAN

    ids = [f"gd-{i}" for i in range(1, 41)] + [f"pc-{i}" for i in range(1, 21)]
    assert len(ids) <= FULL_SCAN
    for word in ("gd-230", "GD-1", "gd-1x", "pc_1", "dg-23", "gd-xyz"):
        assert closest(word, ids, n=3) == _best(word, ids, n=3), word
    assert closest("gd-xyz", ids)  # three slips away: found by the full scan


def test_near_names_keep_their_case() -> None:
    """Tags and the like can be in any case: found case ignored, named as they are."""
    from dlcards.suggest import FULL_SCAN, near

    tags = [f"Topic{i}::Sub" for i in range(FULL_SCAN + 5)]
    found = near("topic12::sub", tags)
    assert "Topic12::Sub" in found and set(found) <= set(tags)
    assert did_you_mean("topic12::su", tags) == " (did you mean 'Topic12::Sub'?)"
    assert near("nothing like it", tags) == []
    assert did_you_mean("nothing like it", tags) == ""


def test_three_suggestions_read_as_a_list() -> None:
    """`dlcards show gd-999` said `(did you mean 'gd-9' or 'gd-49' or 'gd-39'?)`: with three,
    the first two are separated by a comma, as English lists them."""
    said = did_you_mean("gd-999", ["gd-9", "gd-49", "gd-39", "mlp-1"], 3)
    assert said == " (did you mean 'gd-9', 'gd-49' or 'gd-39'?)"
    assert did_you_mean("gd-999", ["gd-9", "gd-49"], 3) == " (did you mean 'gd-9' or 'gd-49'?)"
