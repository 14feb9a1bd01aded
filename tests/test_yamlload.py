"""The one-pass deck loader gives what PyYAML's composer and constructor give (values, line
numbers, errors), on the decks we ship, the test fixtures and random YAML."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st

from dlcards import yamlload
from dlcards.errors import DeckError

pytestmark = pytest.mark.no_files  # pure code: no database, no cache

ROOT = Path(__file__).resolve().parent.parent


def _lines(value: Any) -> Any:
    """The value with every mapping's and list's line numbers made part of it."""
    if isinstance(value, yamlload._Map):
        return ("map", value.line, value.key_lines, {k: _lines(v) for k, v in value.items()})
    if isinstance(value, yamlload._Seq):
        return ("seq", value.line, [_lines(v) for v in value])
    return (type(value).__name__, value)


def _both(text: str) -> tuple[Any, Any]:
    """What each path gives: ('ok', value with lines) or ('error', message)."""
    loader = yamlload._loader()

    def run(read: Any) -> Any:
        try:
            return ("ok", _lines(read()))
        except DeckError as err:
            return ("error", str(err).replace("{path}", "d.yaml"))
        except yaml.YAMLError as err:
            return ("yaml", type(err).__name__, str(err))

    def fast() -> Any:
        try:
            return yamlload._build(text, "d.yaml", loader)
        except yamlload._Unusual:
            return yamlload._load_exact(text, "d.yaml", loader)

    return run(fast), run(lambda: yamlload._load_exact(text, "d.yaml", loader))


DECK_FILES = sorted(
    [*(ROOT / "decks").glob("*.yaml"), *(ROOT / "tests" / "fixtures").rglob("*.yaml")]
)


@pytest.mark.parametrize("path", DECK_FILES, ids=lambda p: p.name)
def test_shipped_and_fixture_decks_read_the_same(path: Path) -> None:
    fast, exact = _both(path.read_text(encoding="utf-8", errors="replace"))
    assert fast == exact


TRICKY = [
    "a: yes\nb: No\nc: ~\nd: 0x1F\ne: 1_000\nf: 12e3\ng: 2026-01-02\nh: .inf\ni: -.5\n",
    "a: !!str 12\nb: !!int '7'\nc: !!float 1\n",
    "a: &x 1\nb: *x\n",
    "a: [1, [2, [3]]]\nb: {c: d}\n",
    "<<: {a: 1}\nb: 2\n",
    "=: 1\n",
    "a: !!set {x, y}\n",
    "a: !!omap [x: 1]\n",
    "a: !!python/object:os.system x\n",
    "a: !foo bar\n",
    "--- 1\n--- 2\n",
    "a: 1\na: 2\n",
    "? [1, 2]\n: x\n",
    "1: x\n",
    "a: " + "9" * 400 + "\n",
    "a: [" * 40 + "]" * 40 + "\n",
    "a: 'unterminated\n",
    "- a\n- b\n",
    "",
    "# only a comment\n",
    "a: |\n  literal\n  text\nb: >\n  folded\n  text\n",
    "a: ! 12\nb: !!null ''\n",
]


@pytest.mark.parametrize("text", TRICKY)
def test_tricky_yaml_reads_the_same(text: str) -> None:
    fast, exact = _both(text)
    assert fast == exact


_scalars = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["yes", "no", "on", "~", "null", "0x1F", "1_000", "12e3", "2026-01-02", "-"]),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=False),
    st.booleans(),
    st.none(),
)
_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(_values, st.sampled_from([None, False, True]), st.sampled_from([None, "'", '"', "|"]))
def test_random_yaml_reads_the_same(value: Any, flow: bool | None, style: str | None) -> None:
    text = yaml.safe_dump(value, default_flow_style=flow, default_style=style, allow_unicode=True)
    fast, exact = _both(text)
    assert fast == exact


# The line reader (`_fast`): what it reads, it reads as the events do --------------------------


def _line_reader(text: str) -> Any:
    """What the line reader gives: ('ok', value with lines), ('error', message), or None where
    it leaves the text to the events."""
    try:
        return ("ok", _lines(yamlload._fast(text)))
    except yamlload._Unusual:
        return None
    except DeckError as err:
        return ("error", str(err).replace("{path}", "d.yaml"))


def _exact(text: str) -> Any:
    return _both(text)[1]


def _synthetic_deck(n: int = 40) -> str:
    import sys

    sys.path.insert(0, str(ROOT / "bench"))
    import tempfile

    import synth

    with tempfile.TemporaryDirectory() as tmp:
        synth.write_decks(Path(tmp), n, 1, seed=3)
        return (Path(tmp) / "syn01.yaml").read_text(encoding="utf-8")


def test_line_reader_reads_the_benchmark_decks_and_as_the_events_do() -> None:
    text = _synthetic_deck()
    fast = _line_reader(text)
    assert fast is not None, "the benchmark's decks are the shape the line reader is for"
    assert fast == _exact(text)


LINE_READER_CASES = [
    # (text, whether the line reader reads it itself)
    ("topic: t\ncards:\n- id: a\n  question: q\n", True),
    ("---\ntopic: t  \n\n# a comment\ncards:\n\n  - id: a\n    answer: 'it''s'\n", True),
    ('a: "tab\\tnew\\nline \\u00e9 \\x41 \\\\ \\" \\/"\n', True),
    ("a: plain text that\n  goes on\n\n  and on\nb: 1\n", True),
    ("a: 'single quoted\n  over lines'\nb: -1\nc: [x, -2, 3.5, yes, ~, deep learning]\n", True),
    ("a:\n  b:\n    c: d\n  e: []\nf:\n- - x\n", False),
    ("a: [x, [y]]\n", False),
    ("a: {b: c}\n", False),
    ("a: |\n  x\n", False),
    ("a: b # comment\n", False),
    ("a: 'x' # comment\n", False),
    ('a: "bad \\q escape"\n', False),
    ('a: "\\ud83d"\n', False),
    ("a: x\n b: y\n", False),
    ("a: x\n  - y\n", False),
    ("a: 1\na: 2\n", False),
    ("yes: 1\n", False),
    ("a: &x 1\n", False),
    ("a:\tb\n", False),
    ("a: b\r\nc: d\r\n", False),
    ("a: 'unterminated\n", False),
    ("a: 'x'y'\n", False),
    ("- a\n", False),
    ("", False),
    ("a: 2026-01-02\nb: 0x1F\nc: 1_000\nd: .inf\n", True),
    ('a: "$\\\\frac{1}{2}$ \\\\\\\\ \\\\n"\nb: "\\\\\\n"\n', True),
    ("a: " + "9" * 400 + "\n", True),
    ("a: x:\n", False),
    ("a: -\n", False),
    ("a: ---\n", True),
    ("a:\n- x\n-\n", False),
    ("cards:\n- id: a\n  refs:\n  - one\n  - two\n- id: b\n", True),
    ("cards:\n- id: a\n  refs:\n    - one\n   - two\n", False),
]


@pytest.mark.parametrize(("text", "read"), LINE_READER_CASES)
def test_line_reader_on_chosen_cases(text: str, read: bool) -> None:
    fast = _line_reader(text)
    assert (fast is not None) == read
    if fast is not None:
        assert fast == _exact(text)


_texts = st.text(
    st.sampled_from(list("ab :#-'\"\\[]{},é\t\n?!&*|>%@`x0 ")) | st.characters(), max_size=60
)


@settings(max_examples=120, deadline=None)
@given(st.lists(st.tuples(_texts, _texts, st.lists(st.sampled_from(["math", "a b", "1", "no"])))))
def test_line_reader_reads_anki_import_decks_as_the_events_do(cards: list[Any]) -> None:
    """What `dlcards import anki` writes (PyYAML, width 100: long text over several lines)."""
    from dlcards.importers.anki_notes import YamlCard, YamlDeck, deck_yaml

    deck = YamlDeck("imported", "Imported")
    deck.cards.extend(
        YamlCard(f"c-{i}", q * 3, a * 5, tuple(tags)) for i, (q, a, tags) in enumerate(cards)
    )
    text = deck_yaml(deck, "x.apkg")
    fast = _line_reader(text)
    if fast is not None:
        assert fast == _exact(text)


_MUTATION_BASE = (
    'topic: t\ntitle: A title\ncards:\n\n- id: t-1\n  question: "What is $\\\\sigma$?"\n'
    "  answer: 'it''s $y$'\n  tags: [math, b]\n  references:\n  - one ref\n  - \"two\"\n"
    "  note: plain text\n    over two lines\n\n- id: t-2\n  question: q\n  answer: -1\n"
)


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["insert", "delete", "duplicate", "indent", "dedent"]),
            st.integers(0, len(_MUTATION_BASE)),
            st.sampled_from(list(" \n:#-'\"\\[],{}&*!|>%@`?\tx0") + ["- ", ": ", " #", "''"]),
        ),
        min_size=1,
        max_size=4,
    )
)
# `"What is $\\sigma$?\"`: the closing quote escaped, the value runs on to the next lines
@example(edits=[("insert", 73, "\\")])
def test_line_reader_on_damaged_decks_reads_as_the_events_do_or_not_at_all(
    edits: list[tuple[str, int, str]],
) -> None:
    text = _MUTATION_BASE
    for kind, at, piece in edits:
        at = min(at, len(text))
        start = text.rfind("\n", 0, at) + 1
        if kind == "insert":
            text = text[:at] + piece + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + len(piece) :]
        elif kind == "duplicate":
            end = text.find("\n", at)
            end = len(text) if end < 0 else end + 1
            text = text[:start] + text[start:end] + text[start:]
        elif kind == "indent":
            text = text[:start] + " " + text[start:]
        elif text[start : start + 1] == " ":
            text = text[:start] + text[start + 1 :]
    fast = _line_reader(text)
    if fast is not None:
        assert fast == _exact(text)


def test_line_reader_reads_the_mutation_base() -> None:
    """The damaged-deck test starts from a text the line reader reads (else it tests nothing)."""
    assert _line_reader(_MUTATION_BASE) is not None


def test_line_reader_refuses_exactly_the_characters_outside_what_it_reads() -> None:
    """The refused characters are written as ranges: the complement, code point by code point,
    of the set the line reader reads (libyaml's printable set less its other line breaks)."""
    import re

    readable = re.compile(
        "[\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
    )
    every = "".join(map(chr, range(0x110000)))
    refused = "".join(yamlload._FAST_REFUSED.findall(every))
    assert refused == readable.sub("", every)
    assert {"\t", "\r", "\x85", "\u2028", "\u2029", "\ufeff"} <= set(refused)
    # the check the reader makes (`_refused`: ASCII text by its bytes) refuses the same
    for text in (*every[:0x100], "\u2028", "\udfff", "\U0010ffff"):
        for around in ("", "a-b: c", "\xe9", "\n"):
            assert yamlload._refused(around + text + around) == (text in refused), repr(text)


def test_the_line_readers_resolvers_are_pyyamls() -> None:
    """The line reader types plain scalars with its own copy of PyYAML's implicit resolvers
    (to read a deck without importing PyYAML): the same tags, patterns and order, by first
    character, as the installed PyYAML."""
    from yaml.resolver import Resolver

    def table(resolvers: Any) -> dict[Any, list[tuple[str, str, int]]]:
        return {
            first: [(tag, regexp.pattern, regexp.flags) for tag, regexp in entries]
            for first, entries in resolvers.items()
        }

    assert table(yamlload.implicit_resolvers()) == table(Resolver.yaml_implicit_resolvers)


_PLAIN_SCALARS = st.one_of(
    st.from_regex(r"[-+]?[0-9_.:eE+xobA-F]{0,9}", fullmatch=True),
    st.from_regex(r"[-+]?\.(?:inf|Inf|INF|nan|NaN|NAN|iNf)", fullmatch=True),
    st.from_regex(r"[yYnNtTfFoO~=<][a-zA-Z<]{0,5}", fullmatch=True),
    st.from_regex(
        r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt ][0-9]{1,2}:[0-9]{2}:[0-9]{2})?", fullmatch=True
    ),
    st.sampled_from(["1" * 300, "1" * 301, "1." + "0" * 298, "0" * 301, "-0", "+0.0", "-0.0"]),
)


@settings(max_examples=200, deadline=None)
@given(_PLAIN_SCALARS)
def test_the_line_reader_types_plain_scalars_as_pyyaml(text: str) -> None:
    """Numbers, true/false, null, dates and the like, as a value, a list item and a key: the
    line reader's value (or error) is the events' (or it leaves the text to them)."""
    for doc in (f"k: {text}\n", f"k:\n- {text}\n", f"k: [{text}]\n", f"{text}: v\n"):
        fast = _line_reader(doc)
        assert fast is None or repr(fast) == repr(_exact(doc)), doc


@pytest.mark.parametrize("value", ["2024-13-45", "0000-00-00", "2024-02-30 10:00:00"])
def test_a_date_that_is_not_one_is_one_line_naming_it(value: str) -> None:
    for text in (f"k: {value}\n", f"k: [{value}]\n", f"a:\n  b: {{c: {value}}}\n"):
        with pytest.raises(DeckError, match=rf"^d\.yaml:\d: {value} reads as a date but is not"):
            yamlload.load_yaml(text, "d.yaml")
