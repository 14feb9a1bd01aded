"""`console.PlainTable`: exactly what rich's Table prints for the tables it takes (plain ASCII
words and numbers, single spaces between them, that fit), in colour and without, at every width;
anything else is left to rich."""

from __future__ import annotations

import io

from hypothesis import given, settings
from hypothesis import strategies as st

from dlcards.console import PlainTable

COLUMNS = [("topic", "cyan", "left"), ("due", "green", "right"), ("new", "blue", "right")]
words = st.text("abcdefghijklmnopqrstuvwxyz0123456789-_.%–()&/,'!? ", max_size=30).map(str.strip)
counts = st.integers(0, 10**7).map(str)


def rendered(renderable: object, width: int, color: bool) -> str:
    from rich.console import Console

    file = io.StringIO()
    console = Console(
        file=file, width=width, force_terminal=color, no_color=not color,
        highlight=False, soft_wrap=False, color_system="standard" if color else None,
    )  # fmt: skip
    console.print(renderable)
    return file.getvalue()


def rich_table(rows: list[list[str]]) -> object:
    from rich.table import Table

    table = Table(box=None, header_style="bold", pad_edge=False)
    for header, style, justify in COLUMNS:
        table.add_column(header, style=style, justify=justify)  # type: ignore[arg-type]
    for row in rows[:-1]:
        table.add_row(*row)
    table.add_section()
    table.add_row(*rows[-1])
    return table


@settings(max_examples=300, deadline=None)
@given(
    rows=st.lists(st.tuples(words, counts, counts).map(list), min_size=1, max_size=12),
    width=st.integers(8, 170),
    color=st.booleans(),
)
def test_the_same_bytes_as_rich_or_none(rows: list[list[str]], width: int, color: bool) -> None:
    plain = PlainTable.of(COLUMNS, rows, width)
    cells = [[c[0] for c in COLUMNS], *rows]
    natural = sum(max(len(r[i]) for r in cells) for i in range(3)) + 4
    assert (plain is None) == (natural > width)
    if plain is not None:
        assert rendered(plain, width, color) == rendered(rich_table(rows), width, color)


def test_markup_emoji_and_wide_text_go_to_rich() -> None:
    for odd in ("[red]x", "x]", "a\\b", ":smile:", "数学", " a", "a ", "tab\t", ""):
        rows = [[odd or "x", "1", "2"], ["total", "1", "2"]]
        if odd:
            assert PlainTable.of(COLUMNS, rows, 100) is None, odd
    assert PlainTable.of(COLUMNS, [["gd", "1", "2"], ["total", "1", "2"]], 100) is not None
