"""The one-pass deck loader gives what PyYAML's composer and constructor give (values, line
numbers, errors), on the decks we ship, the test fixtures and random YAML."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from dlcards import yamlload
from dlcards.errors import DeckError

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
    loader = yamlload._loader_class()

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
