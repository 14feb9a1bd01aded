"""What an Anki field shows survives `import anki --to-yaml`: notes made with the real `anki`
package, converted to YAML decks, those decks checked and exported back with `export anki`, and
that package imported into a fresh Anki collection. Each test looks at one note: the Markdown
written, what the terminal shows of it, and the field Anki holds after the round trip."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from anki_backend import (
    Collection,
    ExportAnkiPackageOptions,
    ImportAnkiPackageOptions,
    ImportAnkiPackageRequest,
)
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from dlcards.cli import app
from dlcards.importers.anki_notes import note_key
from dlcards.render import to_plain

runner = CliRunner()


def notes_only(col: Collection, package: Path) -> Path:
    """The collection exported as Anki exports notes without their scheduling (with its
    media), and closed."""
    col.export_anki_package(
        out_path=str(package),
        options=ExportAnkiPackageOptions(
            with_scheduling=False, with_deck_configs=False, with_media=True, legacy=False
        ),
        limit=None,
    )
    col.close()
    return package


# name -> (Front, Back, tags) of a Basic note in the deck "Fields"
NOTES: dict[str, tuple[str, str, list[str]]] = {
    "scripts": (
        "Scripts?",
        "E = mc<sup>2</sup>, w<sub>ij</sub>, e<sup>-x/2</sup>, \\(x\\)<sup>2</sup>1",
        [],
    ),
    "table": (
        "Updates?",
        "<table><tr><th>Optimizer</th><th>Update</th></tr>\n<tr><td>SGD</td><td>w − ηg</td></tr>"
        "<tr><td>Momentum<br>(heavy ball)</td><td><div>v ← βv + g</div></td></tr></table>",
        [],
    ),
    "lists": (
        "Steps?",
        '<ol start="3"><li>Forward</li><li>Backward<ul><li>chain rule</li><li><div>cache</div>'
        '</li></ul></li><li>Update</li></ol><ol type="a"><li>x</li><li>y</li></ol>',
        [],
    ),
    "image": ("Neuron?", '<img src="neuron.png" alt="A [neuron] &amp; its\naxon">', []),
    "blocks": (
        "Blocks?",
        "Before<hr><pre>def f(x):\n    return x  # same\n\n\tpass\n</pre>"
        "<dl><dt>ReLU</dt><dd>max(0, x)</dd></dl>after",
        [],
    ),
    "inline": (
        "Inline?",
        "<s>5</s> 6, <u>key</u>, <kbd>Ctrl</kbd>+<kbd>C</kbd>, <q>so</q>, a&nbsp; &nbsp;b, "
        "<code>\\(a\\)</code> \\(b\\)5\\(\\), <ruby>漢<rp>(</rp><rt>かん</rt><rp>)</rp></ruby>",
        [],
    ),
    "tags": ("Tagged?", "Yes", ["日本::タグ", "C++", "c#", "ML::Deep", "Straße", "a.b"]),
    "styles": (
        "Styled?",
        'E = mc<span style="vertical-align: super;">2</span>, <span style="text-decoration: '
        'line-through;">5</span> 6, <span style="font-weight: 700; color: red;">bold</span>',
        [],
    ),
    "runs": (
        "Runs?",
        "Adam: <b>adaptive</b><b> moment</b> <b>esti</b><b>mation</b>, <i>f</i><i>(x)</i>, "
        "<b>(β₁, β₂)</b>s, <code>torch.</code><code>optim</code>, <code><b>lr</b></code>",
        [],
    ),
    "links": (
        "Read?",
        'See <a href="https://arxiv.org/abs/1412.6980">Adam</a>, <a href="https://pytorch.org/">'
        'https://pytorch.org/</a> and <a href="#top">the top</a>.',
        [],
    ),
}
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


@dataclass(frozen=True)
class RoundTrip:
    question: str  # the Markdown the YAML deck holds
    answer: str
    tags: tuple[str, ...]
    shown: str  # the answer as the terminal shows it
    front: str  # the fields Anki holds after `export anki` and an import
    back: str
    anki_tags: tuple[str, ...]


def ok(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def fields(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, RoundTrip]]:
    """Every note of NOTES through the round trip, once for the module (~1 s)."""
    tmp = tmp_path_factory.mktemp("fields")
    col = Collection(str(tmp / "source.anki2"))
    col.media.write_data("neuron.png", PNG)
    ids = {}
    for name, (front, back, tags) in NOTES.items():
        note = col.new_note(col.models.by_name("Basic"))
        note["Front"], note["Back"], note.tags = front, back, tags
        col.add_note(note, col.decks.id("Fields"))
        ids[name] = note_key(note.guid)
    package = notes_only(col, tmp / "source.apkg")

    with pytest.MonkeyPatch.context() as env:  # this module's own database and cache
        env.setenv("DLCARDS_DB", str(tmp / "dlcards.db"))
        env.setenv("DLCARDS_CACHE_DIR", str(tmp / "cache"))
        env.delenv("DLCARDS_DECKS", raising=False)
        env.delenv("DLCARDS_TODAY", raising=False)
        decks = tmp / "decks"
        ok("import", "anki", str(package), "--to-yaml", str(decks))
        ok("check", "--decks", str(decks))
        back = tmp / "back.apkg"
        ok("export", "anki", "-o", str(back), "--decks", str(decks), "--topic", "fields")

    deck = yaml.safe_load((decks / "fields.yaml").read_text(encoding="utf-8"))
    written = {c["id"]: c for c in deck["cards"]}
    fresh = Collection(str(tmp / "fresh.anki2"))
    fresh.import_anki_package(
        ImportAnkiPackageRequest(
            package_path=str(back), options=ImportAnkiPackageOptions(with_scheduling=False)
        )
    )
    notes: dict[str, Any] = {}
    # a card of a Basic note goes back in that note type (`anki_note_type:`), as that note
    of_guid = {c["anki_guid"]: c["id"] for c in deck["cards"] if "anki_note_type" in c}
    for nid in fresh.find_notes(""):
        note = fresh.get_note(nid)
        notes[note["CardId"] if "CardId" in note else of_guid[note.guid]] = note
    out = {}
    for name, card_id in ids.items():
        card, note = written[card_id], notes[card_id]
        out[name] = RoundTrip(
            card["question"],
            card["answer"],
            tuple(card.get("tags", ())),
            to_plain(card["answer"]),
            note["Front"],
            note["Back"],
            tuple(note.tags),
        )
    fresh.close()
    yield out


def test_superscripts_and_subscripts_keep_their_meaning(fields: dict[str, RoundTrip]) -> None:
    """A torture run: `x<sup>2</sup>` became `x2`, `w<sub>ij</sub>` `wij`. Each character
    with a Unicode superscript (subscript) is written as one, as the terminal writes math's
    scripts; any other script is math, which Anki typesets; a digit after math is written so
    that the math still closes."""
    got = fields["scripts"]
    assert got.answer == "E = mc², wᵢⱼ, e$^{-x/2}$, $x$&#178;1"
    assert got.shown == "E = mc², wᵢⱼ, e^(−x/2), x²1"
    assert got.back == "E = mc², wᵢⱼ, e\\(^{-x/2}\\), \\(x\\)²1"


def test_a_tables_cells_stay_apart(fields: dict[str, RoundTrip]) -> None:
    """A torture run: `<tr><td>a</td><td>b</td></tr>` became `ab`. A row is a line, its cells
    apart with ` | `; a line break inside a cell is `; `, so the row stays one line."""
    got = fields["table"]
    rows = "Optimizer | Update<br>SGD | w − ηg<br>Momentum; (heavy ball) | v ← βv + g"
    assert got.answer == rows
    assert got.shown == rows.replace("<br>", "\n")
    assert got.back == rows


def test_an_ordered_list_keeps_its_numbers(fields: dict[str, RoundTrip]) -> None:
    """A torture run: every `<li>` became `• `, an `<ol>`'s numbers lost. An ordered list's
    items are numbered from its `start` in its `type`; a nested list is indented (no-break
    spaces, which survive the decks' line breaks and Anki's HTML)."""
    got = fields["lists"]
    nbsp = "\xa0" * 3
    lines = [
        "3. Forward",
        "4. Backward",
        f"{nbsp}• chain rule",
        f"{nbsp}• cache",
        "5. Update",
        "a. x",
        "b. y",
    ]
    assert got.answer == "<br>".join(lines)
    assert got.shown == "\n".join(lines)
    assert got.back == "<br>".join(lines)


def test_an_images_alt_text_is_kept(fields: dict[str, RoundTrip]) -> None:
    """A torture run: `<img alt>` became `![](media/x.png)`, its description lost. The alt
    text is the Markdown image's (a `]` escaped), the terminal shows it in place of the
    file's name, and `export anki` gives it back to the image."""
    got = fields["image"]
    assert got.answer == "![A [neuron\\] & its axon](media/neuron.png)"
    assert got.shown == "[image: A [neuron] & its axon]"
    assert got.back == '<img src="neuron.png" alt="A [neuron] &amp; its axon">'


def test_a_links_target_is_kept(fields: dict[str, RoundTrip]) -> None:
    """A torture run: `<a href="https://...">text</a>` kept only its text. The decks' Markdown
    has no links, so the target follows the text in parentheses; a link whose text is its
    target is written once, and one to a place inside Anki's page (`#top`) is its text."""
    got = fields["links"]
    text = "See Adam (https://arxiv.org/abs/1412.6980), https://pytorch.org/ and the top."
    assert got.answer == text
    assert got.shown == text
    assert got.back == text


NBSP = "\xa0"


def test_a_rule_a_code_block_and_a_definition_keep_their_lines(
    fields: dict[str, RoundTrip],
) -> None:
    """A torture run's class: `<hr>` vanished (`a<hr>b` was `ab`), a `<pre>` block became one
    line (its indent, which Python code means by, lost), `<dt>`/`<dd>` ran together. A rule is
    a line of its own; a code block's lines are code spans, their indent and inner spaces
    no-break spaces; a definition is indented under its term."""
    got = fields["blocks"]
    lines = [
        "Before",
        "───",
        "`def f(x):`",
        f"`{NBSP * 4}return x{NBSP * 2}# same`",
        "",
        f"`{NBSP * 4}pass`",
        "ReLU",
        f"{NBSP * 3}max(0, x)",
        "after",
    ]
    assert got.answer == "<br>".join(lines)
    assert got.shown == "\n".join(line.strip("`") for line in lines)
    assert got.back == "<br>".join(
        f"<code>{line[1:-1]}</code>" if line.startswith("`") else line for line in lines
    )


def test_inline_marks_that_carry_meaning_are_kept(fields: dict[str, RoundTrip]) -> None:
    """Struck text was shown as if it held (`<s>5</s> 6` read `5 6`), underline, `<kbd>`,
    `<q>`'s quotes and a ruby's reading were lost, spaces typed in a row (Anki's
    `&nbsp; &nbsp;`) became one, math inside code (which MathJax leaves as it is) became math,
    and an empty `\\(\\)` became `$$`, display math's delimiter."""
    got = fields["inline"]
    assert got.answer == (
        f"~~5~~ 6, *key*, `Ctrl`+`C`, “so”, a{NBSP * 3}b, `\\(a\\)` $b$&#53;, 漢(かん)"
    )
    assert got.shown == f"~~5~~ 6, key, Ctrl+C, “so”, a{NBSP * 3}b, \\(a\\) b5, 漢(かん)"
    assert got.back == (
        f"~~5~~ 6, <i>key</i>, <code>Ctrl</code>+<code>C</code>, “so”, a{NBSP * 3}b, "
        "<code>\\(a\\)</code> \\(b\\)5, 漢(かん)"
    )


def test_an_anki_users_tags_survive(fields: dict[str, RoundTrip]) -> None:
    """A torture run: `日本::タグ` was dropped, `C++` became `c` (and `c#` `c` too). A tag is
    what Anki takes as one, lower case (Anki ignores case), `::` keeping the hierarchy; the
    converted deck passes `check`, and `export anki` gives the tags back."""
    got = fields["tags"]
    tags = {"日本::タグ", "c++", "c#", "ml::deep", "straße", "a.b"}
    assert set(got.tags) == tags and len(got.tags) == len(tags)
    assert set(got.anki_tags) == {"fields", *tags}


def test_anki_tags_made_one_tag_here_are_named(tmp_path: Path) -> None:
    """Two tags Anki keeps apart that can only be one tag here (a no-break space, which a
    dlcards tag cannot hold, is `_`) are merged, and the import says so."""
    col = Collection(str(tmp_path / "c.anki2"))
    for tags in (" a\xa0b ", " a_b ", " C++ c++ "):  # as a tool that wrote the notes left them
        note = col.new_note(col.models.by_name("Basic"))
        note["Front"], note["Back"] = f"Tags {tags!r}?", "Yes"
        col.add_note(note, col.decks.id("Tags"))
        col.db.execute("UPDATE notes SET tags = ? WHERE id = ?", tags, note.id)
    package = notes_only(col, tmp_path / "t.apkg")
    out = " ".join(ok("import", "anki", str(package), "--to-yaml", str(tmp_path / "y")).split())
    assert "Anki's tags 'a_b' and 'a\\xa0b' are one tag here, 'a_b'" in out, out
    assert "'C++'" not in out  # one tag in Anki too: its case is not a difference
    ok("check", "--decks", str(tmp_path / "y"))
    deck = yaml.safe_load((tmp_path / "y" / "tags.yaml").read_text(encoding="utf-8"))
    assert [c.get("tags") for c in deck["cards"]] == [["a_b"], ["a_b"], ["c++"]]


def test_a_span_whose_style_carries_meaning_is_its_tag(fields: dict[str, RoundTrip]) -> None:
    """Older Anki editors and pasted pages raise, strike and embolden with a `<span style>`:
    `mc<span style="vertical-align: super">2</span>` read `mc2`, a struck 5 read as if it
    held. Such a span is the tag it stands for; a colour or a font is dropped."""
    got = fields["styles"]
    assert got.answer == "E = mc², ~~5~~ 6, **bold**"
    assert got.shown == "E = mc², ~~5~~ 6, bold"
    assert got.back == "E = mc², ~~5~~ 6, <b>bold</b>"


def test_emphasis_reads_as_emphasis_or_not_at_all(fields: dict[str, RoundTrip]) -> None:
    """Anki's editor splits a bold word into runs that touch (`<b>esti</b><b>mation</b>`),
    and bold ends on a bracket before a letter (`<b>(β₁, β₂)</b>s`). Written mark for mark,
    `**esti****mation**` showed `esti****mation` and `**(β₁, β₂)**s` its four stars (the
    decks' Markdown closes no emphasis between a bracket and a letter), and the stars went to
    Anki too; so did code in two spans (`` `torch.``optim` `` showed `` torch.``optim ``) and
    bold inside code. Runs that touch are one; a run the Markdown cannot close is plain text,
    and so is emphasis inside code, which shows none."""
    got = fields["runs"]
    assert got.answer == (
        "Adam: **adaptive** **moment** **estimation**, *f(x)*, (β₁, β₂)s, `torch.optim`, `lr`"
    )
    assert got.shown == "Adam: adaptive moment estimation, f(x), (β₁, β₂)s, torch.optim, lr"
    assert got.back == (
        "Adam: <b>adaptive</b> <b>moment</b> <b>estimation</b>, <i>f(x)</i>, (β₁, β₂)s, "
        "<code>torch.optim</code>, <code>lr</code>"
    )


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["", "b", "i", "u", "code", "s"]),
            st.text(alphabet="ab(). *,_-`", min_size=0, max_size=6),
        ),
        max_size=12,
    )
)
def test_no_mark_shows_as_a_star(runs: list[tuple[str, str]]) -> None:
    """Whatever the runs of bold, italic, underline, code and struck text Anki's editor left,
    the converted field shows as many stars as Anki shows (those typed), never a mark that did
    not make emphasis."""
    import html as html_module

    from dlcards.importers.anki_notes import to_markdown

    field = "".join(
        f"<{tag}>{html_module.escape(text)}</{tag}>" if tag else html_module.escape(text)
        for tag, text in runs
    )
    typed = sum(text.count("*") for _, text in runs)
    assert to_plain(to_markdown(field, set())).count("*") == typed, field
