"""A deck file saved again is parsed by its changed cards only (`deck.reparse_deck`, used by
the catalog with the deck cache): what that gives is what parsing the whole new text gives,
card for card, line for line; and where it cannot tell, it gives nothing and the whole text is
parsed (which also says what is wrong)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from dlcards import catalog, yamlload
from dlcards.deck import Chunks, Deck, parse_deck, parse_deck_chunked, reparse_deck
from dlcards.errors import DeckError

pytestmark = pytest.mark.no_files  # pure code but for the last tests, which use tmp_path

ROOT = Path(__file__).resolve().parent.parent

HEADER = "topic: t\ntitle: A topic\ndescription: What it is about.\ncards:\n"

WORDS = st.sampled_from(
    ["loss", "step", "a: b", "x #1", "don't", 'say "hi"', "\\(x\\)", "$w$", "tanh", "-1", "yes"]
)


def _double(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _single(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@st.composite
def card_texts(draw: st.DrawFn, n: int) -> str:
    """One card's lines (after its `- `), in one of the shapes decks are written in."""
    words = " ".join(draw(st.lists(WORDS, min_size=1, max_size=4)))
    question = draw(st.sampled_from([_double, _single]))(f"Q{n} {words}?")
    answer = draw(
        st.sampled_from(
            [
                _double(f"A{n} {words}"),
                f"'A{n} first part\n    and the rest'",  # as PyYAML writes long ones
                f"Answer {n} in words\n    more words",  # plain over two lines
                _double(f"A{n}") + "  # a comment after it: libyaml's events read it",
                # block scalars (libyaml's): kept (the blank lines after it are its text),
                # folded, stripped
                f"|+\n    Answer {n}\n    second line\n",
                f">\n    Answer {n}\n    folded",
                f"|-\n    Answer {n}",
            ]
        )
    )
    lines = [f"id: t-{n}", f"  question: {question}", f"  answer: {answer}"]
    tags = draw(
        st.sampled_from(
            ["", "  tags: [math, optim]", "  tags:\n  - math\n  - relu", "  tags: ['math']"]
        )
    )
    if tags:
        lines.append(tags)
    if draw(st.booleans()):
        lines.append(f"  source: {_single('Sheet ' + str(n))}")
    text = "\n".join(lines)
    after = draw(st.sampled_from(["", "\n", "\n# a comment\n", "\n  # indented comment", "\n\n"]))
    return text + after


@st.composite
def decks(draw: st.DrawFn) -> list[str]:
    count = draw(st.integers(1, 7))
    return [draw(card_texts(n)) for n in range(1, count + 1)]


def _text(cards: list[str], header: str = HEADER) -> str:
    return header + "".join(f"- {card}\n" for card in cards)


EDITS = st.sampled_from(
    [
        "answer",
        "insert",
        "delete",
        "swap",
        "duplicate",
        "title",
        "key after",
        "comment",
        "broken",
        "indent",
        "nothing",
        "char",
    ]
)


@st.composite
def edited(draw: st.DrawFn, cards: list[str]) -> tuple[str, str]:
    """The deck's text after one edit of the kind learners make (or a slip), and its kind."""
    cards = list(cards)
    edit = draw(EDITS)
    k = draw(st.integers(0, len(cards) - 1))
    header = HEADER
    if edit == "answer":
        cards[k] = cards[k].replace("A", "An edited A", 1).replace("Answer", "Edited", 1)
    elif edit == "insert":
        cards.insert(k, draw(card_texts(99)))
    elif edit == "delete" and len(cards) > 1:
        del cards[k]
    elif edit == "swap" and len(cards) > 1:
        cards[0], cards[-1] = cards[-1], cards[0]
    elif edit == "duplicate":
        cards.insert(k, cards[k])
    elif edit == "title":
        header = HEADER.replace("A topic", "Another topic")
    elif edit == "key after":
        return _text(cards) + "extra: 1\n", edit
    elif edit == "comment":
        cards[k] += "\n# a note to self\n"
    elif edit == "broken":
        cards[k] = cards[k].replace("question:", "qestion:", 1)
    elif edit == "indent":
        cards[k] = cards[k].replace("\n  answer", "\n answer", 1)
    text = _text(cards, header)
    if edit == "char":
        at = draw(st.integers(0, len(text)))
        slip = draw(
            st.sampled_from(["x", "\n", "- ", '"', ":", " ", "&a ", "\n...\n", "\r", "\u2028"])
        )
        text = text[:at] + slip + text[at:]
    return text, edit


def _as_cached(deck: Deck) -> Deck:
    """The deck as the cache gives it back (a JSON round trip), which is what a parse again
    starts from."""
    data = json.loads(json.dumps(catalog._deck_to_json(deck, Path("/x/t.yaml"), "s")))
    return catalog._deck_from_json(data, deck.path, "s")


def _whole(text: str, name: str = "t.yaml") -> tuple[Deck, Chunks | None] | str:
    try:
        return parse_deck_chunked(text, name)
    except DeckError as err:
        return str(err)


@given(st.data())
def test_a_deck_parsed_again_is_the_deck_parsed_whole(data: st.DataObject) -> None:
    cards = data.draw(decks())
    old_text = _text(cards)
    new_text, edit = data.draw(edited(cards))
    if data.draw(st.booleans()):  # a file saved with Windows's line breaks
        old_text, new_text = old_text.replace("\n", "\r\n"), new_text.replace("\n", "\r\n")
    old, chunks = parse_deck_chunked(old_text, "t.yaml")
    whole = _whole(new_text)
    if chunks is None:
        event("no digests: parsed whole")
        return
    again = reparse_deck(new_text, "t.yaml", _as_cached(old), chunks)
    event("parsed again by its cards" if again is not None else "left to the whole parse")
    if edit in ("answer", "comment", "nothing") and len(cards) >= 4:
        assert again is not None  # one card's text changed, or none: parsed by its cards
    if again is not None:
        assert not isinstance(whole, str), whole  # a deck the whole parse refuses: none
        assert again == whole


def _plain_deck(n: int, answer: str = "An answer") -> str:
    return _text(
        [f'id: t-{i}\n  question: "Q{i}?"\n  answer: "{answer} {i}"\n' for i in range(1, n + 1)]
    )


def test_only_the_changed_card_is_read_and_the_rest_move_to_their_new_lines(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    old, chunks = parse_deck_chunked(_plain_deck(5), "t.yaml")
    assert chunks is not None
    new_text = _plain_deck(5).replace('"Q2?"', '"Q2, longer?"\n  tags: [math]')
    read: list[int] = []
    fast_item = yamlload.fast_item

    def counted(item: str, line: int) -> object:
        read.append(line)
        return fast_item(item, line)

    monkeypatch.setattr(yamlload, "fast_item", counted)
    again = reparse_deck(new_text, "t.yaml", _as_cached(old), chunks)
    assert again is not None
    deck, _ = again
    assert read == [deck.cards[1].line]  # card t-2 alone was read
    assert deck == parse_deck(new_text, "t.yaml")
    assert [c.line for c in deck.cards][2:] == [c.line + 1 for c in old.cards][2:]


@pytest.mark.parametrize(
    "change",
    [
        ("topic: t", "topic: u"),  # the text before the cards
        ("t-4", "t-2"),  # an id twice
        ('"Q3?"', "[Q3?]"),  # a card that is not valid
        ("- id: t-5", "-  id: t-5"),  # an item indented otherwise
        ('"An answer', '"Another answer'),  # most cards changed: the whole text is quicker
    ],
)
def test_what_it_cannot_tell_is_left_to_the_whole_parse(change: tuple[str, str]) -> None:
    old, chunks = parse_deck_chunked(_plain_deck(5), "t.yaml")
    assert chunks is not None
    new_text = _plain_deck(5).replace(*change)
    assert reparse_deck(new_text, "t.yaml", _as_cached(old), chunks) is None


@pytest.mark.parametrize("tail", ["", "\n", "\n\n# the end\n"])
def test_cards_libyaml_reads_are_parsed_again_too(tail: str) -> None:
    """A card the line reader leaves to libyaml's events (a block scalar, a comment after a
    value) is read alone by them; the blank lines after a kept block scalar (`|+`) are its
    text, the last card's too."""
    text = _plain_deck(5).replace('"An answer 2"', "|+\n    block\n") + tail
    text = text.replace('"An answer 5"', "|+\n    last") + tail
    old, chunks = parse_deck_chunked(text, "t.yaml")
    assert chunks is not None
    for change in [('"Q2?"', '"Q2, again?"'), ("block", "block again"), ("last", "last one")]:
        new_text = text.replace(*change)
        again = reparse_deck(new_text, "t.yaml", _as_cached(old), chunks)
        assert again is not None
        assert again == parse_deck_chunked(new_text, "t.yaml")


def test_a_key_after_the_list_keeps_no_digests() -> None:
    # a key after the list: its text would be part of the last card's
    late = _plain_deck(3).replace("description: What it is about.\n", "") + "description: x\n"
    deck, chunks = parse_deck_chunked(late, "t.yaml")
    assert deck.description == "x" and chunks is None


def test_the_catalog_parses_a_saved_deck_by_its_changed_cards(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the deck cache: the entry of the file's last version is what the parse starts
    from, its new entry keeps the new digests; an entry of another dlcards is not used."""
    file = (tmp_path / "t.yaml").resolve()
    cache = tmp_path / "cache"
    file.write_text(_plain_deck(40), encoding="utf-8")
    first, _ = catalog._read_and_cache(file, catalog._stamp(file), cache)
    read: list[int] = []
    fast_item = yamlload.fast_item
    monkeypatch.setattr(
        yamlload, "fast_item", lambda item, line: read.append(line) or fast_item(item, line)
    )
    file.write_text(_plain_deck(40).replace("An answer 7", "Fixed"), encoding="utf-8")
    os.utime(file, ns=(0, 10**18))  # another version by its stamp, whatever the clock says
    again, _ = catalog._read_and_cache(file, catalog._stamp(file), cache)
    assert again == catalog.read_deck(file)
    assert read == [again.cards[6].line] and first.cards[6] != again.cards[6]
    # an entry written by another version of dlcards: its cards may parse otherwise
    entry = cache / f"{catalog._key(file)}.json"
    data = catalog.read_cache_json(entry)
    data["stamp"] = data["stamp"].replace(f":{catalog.__version__}:", ":0.0.1:")
    catalog.write_cache_json(entry, data)
    file.write_text(_plain_deck(40).replace("An answer 8", "Fixed"), encoding="utf-8")
    os.utime(file, ns=(0, 2 * 10**18))
    read.clear()
    assert catalog._read_and_cache(file, catalog._stamp(file), cache)[0] == catalog.read_deck(file)
    assert read == []  # parsed whole


@pytest.mark.parametrize(
    "edit",
    [
        ("An answer 7", "Fixed"),  # the text: each digest of the card
        ('"Q9?"', '"Q9?"\n  tags: [math]'),  # the tags: the search text's
        ('"Q3?"\n', '"Q3?"\n  source: Sheet 3\n'),  # the source: the exported note's
        ("- id: t-2\n", "- id: t-99\n"),  # another card
    ],
)
def test_the_digests_a_sync_compares_are_those_of_the_cards_as_they_are(
    tmp_path: Path, edit: tuple[str, str]
) -> None:
    """A deck parsed again carries over the sync digests (`catalog._sync_digests`) of the cards
    whose text did not change, and makes those of the others: each is what the card as
    parsed now gives. Made whether asked or not, once the entry has them."""
    file = (tmp_path / "t.yaml").resolve()
    cache = tmp_path / "cache"
    file.write_text(_plain_deck(12), encoding="utf-8")
    deck, digests = catalog._read_and_cache(file, catalog._stamp(file), cache, digests=True)
    assert digests == catalog._sync_digests(deck.cards, deck.title)
    for version, asked in enumerate((False, True), start=1):
        text = _plain_deck(12).replace(*edit)
        file.write_text(text + "# again\n" * version, encoding="utf-8")
        os.utime(file, ns=(0, version * 10**18))
        deck, digests = catalog._read_and_cache(file, catalog._stamp(file), cache, asked)
        assert deck == catalog.read_deck(file)
        assert digests == catalog._sync_digests(deck.cards, deck.title)


SHIPPED = sorted((ROOT / "decks").glob("*.yaml"))


@given(st.sampled_from(SHIPPED), st.data())
def test_the_shipped_decks_edited_are_parsed_again_as_whole(
    path: Path, data: st.DataObject
) -> None:
    """The decks dlcards ships (computations, quizzes in flow mappings, notes, references):
    each keeps its digests, and any of a card's lines changed, dropped or doubled, a byte
    slipped in, or two cards swapped, gives what the whole parse gives."""
    text = path.read_text(encoding="utf-8")
    old, chunks = parse_deck_chunked(text, path.name)
    assert chunks is not None
    pieces = text.split("\n- ")
    k = data.draw(st.integers(1, len(pieces) - 1))
    lines = pieces[k].split("\n")
    j = data.draw(st.integers(0, len(lines) - 1))
    edit = data.draw(st.sampled_from(["word", "drop", "double", "slip", "swap"]))
    if edit == "word":
        lines[j] = lines[j].replace("a", "an edit", 1)
    elif edit == "drop" and j:
        del lines[j]
    elif edit == "double" and j:
        lines.insert(j, lines[j])
    elif edit == "slip":
        at = data.draw(st.integers(0, len(lines[j])))
        lines[j] = (
            lines[j][:at]
            + data.draw(st.sampled_from(["x", " ", ":", "'", "{", "- "]))
            + lines[j][at:]
        )
    elif edit == "swap" and k + 1 < len(pieces):
        pieces[k], pieces[k + 1] = pieces[k + 1], pieces[k]
        lines = pieces[k].split("\n")
    pieces[k] = "\n".join(lines)
    new_text = "\n- ".join(pieces)
    again = reparse_deck(new_text, path.name, _as_cached(old), chunks)
    event("parsed again by its cards" if again is not None else "left to the whole parse")
    if again is not None:
        assert again == _whole(new_text, path.name)


@pytest.mark.parametrize(
    "slip",
    [
        "...\n",  # a document end between two cards: libyaml refuses the card after it
        "--- \n",  # a document start there
        "%TAG ! x\n",  # a directive
    ],
)
def test_a_line_at_column_0_inside_the_list_is_left_to_the_whole_parse(slip: str) -> None:
    """A card read alone ends at its text; in its file, the line after it at column 0 (no
    `- `, comment or blank line) breaks the list: the whole parse says so, and a parse again
    by the cards must not take the deck for a valid one (the deck cache then kept it so
    until it was cleared, where a fresh cache said the YAML error)."""
    old, chunks = parse_deck_chunked(_plain_deck(8), "t.yaml")
    assert chunks is not None
    new_text = _plain_deck(8).replace("- id: t-5\n", slip + "- id: t-5\n")
    assert isinstance(_whole(new_text), str)  # a YAML error
    assert reparse_deck(new_text, "t.yaml", _as_cached(old), chunks) is None


@pytest.mark.parametrize("brk", ["\r", "\x85", "\u2028", "\u2029"])
@pytest.mark.parametrize("where", ["changed card", "last card, then one added"])
def test_a_line_break_other_than_newline_keeps_the_lines_the_whole_parse_gives(
    brk: str, where: str
) -> None:
    """libyaml counts a lone CR, NEL, LS and PS as line breaks (YAML 1.1), so the cards after
    one start a line later than the deck's newlines say: a parse by the cards must give the
    lines the whole parse gives (`show --json`'s `line`, `edit`'s `+LINE`), not one less."""
    text = _plain_deck(8)
    if where == "changed card":
        old, chunks = parse_deck_chunked(text, "t.yaml")
        new_text = text.replace('"An answer 3"\n', f'"An answer 3"{brk}  tags: [x]\n')
    else:  # the break in the last card: its digests kept, then a card added after it
        text = text.replace('"An answer 8"\n', f'"An answer 8"{brk}  tags: [x]\n')
        old, chunks = parse_deck_chunked(text, "t.yaml")  # its lines are the whole parse's
        new_text = text + '- id: t-9\n  question: "Q9?"\n  answer: "A9"\n'
    whole = _whole(new_text)
    assert not isinstance(whole, str), whole
    if chunks is None:
        return  # parsed whole each time
    again = reparse_deck(new_text, "t.yaml", _as_cached(old), chunks)
    if again is not None:
        assert again == whole


def _kept(n: int) -> str:
    """A card whose text ends in a kept block scalar (`|+`)."""
    return f'id: t-{n}\n  question: "Q{n}?"\n  answer: |+\n    kept\n'


@pytest.mark.parametrize(
    "moved",
    [
        "to the end",  # with the blank line after it in the middle, none after it at the end
        "the last card deleted",  # with the blank line before it
    ],
)
def test_a_card_read_to_the_end_of_the_file_is_not_the_card_read_up_to_the_next(
    tmp_path: Path, moved: str
) -> None:
    """The same text of a card reads otherwise in the middle of the list (up to the next
    card's line: its line break is the card's) and at the end of the file (up to its end): a
    kept block scalar (`|+`) keeps that break. A card whose text is the same but that became
    the last card, or stopped being it, is read again, and its sync digests made again: the
    deck cache gave the card as it read at its old place ('kept\\n\\n' where a fresh cache
    gave 'kept\\n'), and the database kept digests of that text."""
    cards = [f'id: t-{i}\n  question: "Q{i}?"\n  answer: "A{i}"\n' for i in range(1, 9)]
    if moved == "to the end":
        cards[2] = _kept(3) + "\n"  # a blank line after it: the kept scalar's own
        text = HEADER + "".join(f"- {card}" for card in cards)
        new_text = HEADER + "".join(f"- {c}" for c in cards[:2] + cards[3:]) + f"- {_kept(3)}"
    else:  # t-8 and the blank line before it deleted: t-7 ends the file as it ended t-7
        cards[6] = _kept(7) + "\n"
        text = HEADER + "".join(f"- {card}" for card in cards)
        new_text = text[: text.index("- id: t-8")].removesuffix("\n")
    old, chunks = parse_deck_chunked(text, "t.yaml")
    assert chunks is not None
    whole = _whole(new_text)
    assert not isinstance(whole, str), whole
    again = reparse_deck(new_text, "t.yaml", _as_cached(old), chunks)
    if again is not None:
        assert again[0].cards[-1] == whole[0].cards[-1]
        assert again == whole
    # through the deck cache: the cards and the digests a sync compares
    file = (tmp_path / "t.yaml").resolve()
    cache = tmp_path / "cache"
    file.write_text(text, encoding="utf-8")
    catalog._read_and_cache(file, catalog._stamp(file), cache, digests=True)
    file.write_text(new_text, encoding="utf-8")
    os.utime(file, ns=(0, 10**18))
    deck, digests = catalog._read_and_cache(file, catalog._stamp(file), cache, digests=True)
    assert deck == catalog.read_deck(file)
    assert digests == catalog._sync_digests(deck.cards, deck.title)
