"""`dlcards check`: validate every deck and check every number the math cards state.

Loading the catalog validates the decks (a deck error exits 2, as everywhere). Then every
`compute:` block runs through the engine and its value is compared with the block's `claim`
(relative tolerance: the block's `tolerance`, default 1e-3). Each block gets a status:

    ok        the engine agrees with the claim
    computed  no claim: the block illustrates a formula
    erratum   the block is marked `wrong: true` (the source's number) and the engine indeed
              disagrees; the card's `erratum:` explains it
    MISMATCH  the engine disagrees with an unmarked claim (on an erratum's card too: the
              erratum's own numbers must be right), or agrees with one marked wrong
    error     the computation cannot run (unknown function, bad argument, ...)

The content pass: every `erratum:` (the answer states something false) and `note:` (it is
imprecise) is counted and listed, and each needs `references:` where a learner can check it;
one without is a failure. Repaired questions (`source_question:`) are listed too.

Quiz templates are drawn 25 times with fixed seeds; a draw the engine rejects, or a template
parameter that never reaches the computation, is an error.

Any MISMATCH, error or remark without references exits 1 with a one-line summary. Deck files
that do not load are each named, in load order (exit 2; as JSON, `deck_errors`). Warnings do
not fail the check: a card tagged `math` with no compute block (the tag also works as a plain
study tag in your own decks), a card with compute blocks but no `math` tag (so `--tag math`
would miss it), and an image or a sound whose file is not beside the deck or whose name leads
out of the deck's folder (which the Anki export never packs). The shipped decks have none
of these; a test holds them to that.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dlcards.commands.options import DecksOption, JsonOption
from dlcards.console import counted, plural
from dlcards.errors import DlcardsError, quoted

if TYPE_CHECKING:
    from collections.abc import Sequence

    from rich.console import Console, ConsoleOptions, RenderResult
    from rich.text import Text

    from dlcards.catalog import Catalog
    from dlcards.deck import Card
    from dlcards.mathcards import Evaluation

QUIZ_DRAWS = 25
STATUS_TEXT = {
    "ok": "ok",
    "computed": "computed",
    "erratum": "erratum",
    "mismatch": "MISMATCH",
    "error": "error",
}
STATUS_STYLE = {
    "ok": "green",
    "computed": "dim",
    "erratum": "yellow",
    "mismatch": "bold red",
    "error": "red",
}


@dataclass(frozen=True)
class Remark:
    """An erratum or a note on a card, with the card's references."""

    card: Card
    kind: str  # "erratum" | "note"
    text: str

    @property
    def references(self) -> tuple[str, ...]:
        return self.card.references


@dataclass(frozen=True)
class Report:
    evaluations: list[Evaluation]
    quiz_problems: dict[str, list[str]]  # card id -> problems
    quiz_templates: int
    warnings: list[str]
    remarks: list[Remark]  # errata and notes, in deck order
    repaired: list[Card]  # cards whose question repairs the source's (`source_question`)
    cards: int
    math_cards: int

    def count(self, status: str) -> int:
        return sum(ev.status == status for ev in self.evaluations)

    def of_kind(self, kind: str) -> list[Remark]:
        return [r for r in self.remarks if r.kind == kind]

    @property
    def unreferenced(self) -> list[Card]:
        """Cards with an erratum or a note but no references."""
        cards = {r.card.id: r.card for r in self.remarks if not r.references}
        return list(cards.values())

    @property
    def failures(self) -> list[str]:
        """One short phrase per failing block, template or remark, naming the card."""
        out = [
            f"{ev.card.id} {ev.call}: marked wrong, but the engine agrees with {_claimed(ev)}"
            if ev.compute.wrong
            else f"{ev.card.id} {ev.call}: {_computed(ev)} ≠ claimed {_claimed(ev)}"
            for ev in self.evaluations
            if ev.status == "mismatch"
        ]
        out += [f"{ev.card.id} {ev.call}: {ev.error}" for ev in self.evaluations if ev.error]
        out += [f"{cid}: {p}" for cid, problems in self.quiz_problems.items() for p in problems]
        out += [
            f"{card.id}: {'erratum' if card.erratum else 'note'} without references "
            f"({card.file}:{card.line})"
            for card in self.unreferenced
        ]
        return out


_MEDIA_VERB = {"image": "shows the image", "sound": "plays the sound"}


def build_report(catalog: Catalog) -> Report:
    from dlcards.export.anki import media_refs
    from dlcards.mathcards import evaluate
    from dlcards.quiz import template_problems

    evaluations: list[Evaluation] = []
    warnings: list[str] = []
    quiz_problems: dict[str, list[str]] = {}
    templates = 0
    topics = {card.id: card.topic for card in catalog.cards}
    for card in catalog.cards:
        for other in card.same_question:
            if other not in topics:
                warnings.append(
                    f"{card.id} lists {other} under same_question, but no card {other} is "
                    f"loaded ({card.file}:{card.line})"
                )
            elif topics[other] != card.topic:
                warnings.append(
                    f"{card.id} lists {other} under same_question, a card of topic "
                    f"{topics[other]}: a multiple-choice question takes its wrong options from "
                    f"the card's own topic ({card.topic}), so this changes nothing "
                    f"({card.file}:{card.line})"
                )
        if card.is_math and not card.compute:
            warnings.append(
                f"{card.id} is tagged math but has no compute block "
                f"({card.file}:{card.line}); add one, or drop the tag"
            )
        if card.compute and not card.is_math:
            warnings.append(
                f"{card.id} has compute blocks but no math tag ({card.file}:{card.line})"
            )
        refs = media_refs(card)
        for ref in refs:
            if ref.inside and not ref.path.is_file():
                warnings.append(
                    f"{card.id} {_MEDIA_VERB[ref.kind]} {ref.path}, which does not exist "
                    f"({card.file}:{card.line}); the Anki export leaves it out"
                )
        for ref in refs:
            if not ref.inside:
                warnings.append(
                    f"{card.id} {_MEDIA_VERB[ref.kind]} {quoted(ref.name)}, which is not in its "
                    f"deck's "
                    f"folder ({card.file}:{card.line}); the Anki export leaves it out (put the "
                    "file beside the deck, e.g. media/)"
                )
        evaluations.extend(evaluate(card))
        if card.quiz is not None:
            templates += 1
            problems = template_problems(card, QUIZ_DRAWS)
            if problems:
                quiz_problems[card.id] = problems
    return Report(
        evaluations=evaluations,
        quiz_problems=quiz_problems,
        quiz_templates=templates,
        warnings=warnings,
        remarks=[
            Remark(c, kind, text)
            for c in catalog.cards
            for kind, text in (("erratum", c.erratum), ("note", c.note))
            if text
        ],
        repaired=[c for c in catalog.cards if c.source_question],
        cards=len(catalog.cards),
        math_cards=sum(c.is_math for c in catalog.cards),
    )


def _claimed(ev: Evaluation) -> str:
    from dlcards.engine import fmt

    return "" if ev.compute.claim is None else fmt(ev.compute.claim)


def _computed(ev: Evaluation) -> str:
    return ev.result.display if ev.result is not None else "—"


def _summary(report: Report) -> str:
    n = len(report.evaluations)
    mismatches = report.count("mismatch")
    errors = report.count("error") + sum(len(p) for p in report.quiz_problems.values())
    errata, notes = len(report.of_kind("erratum")), len(report.of_kind("note"))
    c = counted
    parts = [
        f"{c(report.cards)} cards, {c(report.math_cards)} math",
        f"{plural(errata, 'erratum', 'errata')}, {plural(notes, 'note')}"
        f", {c(len(report.unreferenced))} without references",
        f"{c(n)} computations: {c(report.count('ok'))} ok, {c(report.count('computed'))} "
        f"computed, {c(report.count('erratum'))} erratum, {c(mismatches)} MISMATCH, "
        f"{c(errors)} error",
        f"{c(report.quiz_templates)} quiz templates × {c(QUIZ_DRAWS)} draws",
    ]
    if report.warnings:
        parts.append(plural(len(report.warnings), "warning"))
    return " · ".join(parts)


def _widest(text: str) -> int:
    """The longest line of a cell's text (a result of several named values has one each)."""
    return max(len(line) for line in text.split("\n"))


NARROW = 70  # columns: below this, each computation is a block of lines instead of a table row


def _print_stacked(report: Report, console: Console) -> None:
    """The check for a narrow terminal: per computation, the card and status, the call wrapped
    between tokens, and the claimed and computed values."""
    from rich.text import Text

    from dlcards.console import wrap_tokens

    width = console.width
    for ev in report.evaluations:
        console.print(
            Text.assemble(
                (ev.card.id, "cyan"), "  ", (STATUS_TEXT[ev.status], STATUS_STYLE[ev.status])
            )
        )
        for line in wrap_tokens(ev.call, width - 2):
            console.print(Text("  " + line))
        values = f"claimed {_claimed(ev)} · " if ev.compute.claim is not None else ""
        text = f"{values}computed {_computed(ev)}"
        for part in text.split("\n"):  # several named values: one labelled line each
            for line in wrap_tokens(part, width - 2):
                console.print(Text("  " + line, style="dim"))
        if ev.error:
            for line in wrap_tokens(ev.error, width - 2):
                console.print(Text("  " + line, style="red"))
    for card_id, problems in report.quiz_problems.items():
        for problem in problems:
            console.print(Text.assemble((card_id, "cyan"), "  ", ("error", "red")))
            for line in wrap_tokens(problem, width - 2):
                console.print(Text("  " + line, style="red"))
    _print_notes(report, console)


def _print(report: Report, console: Console) -> None:
    from rich.table import Table
    from rich.text import Text

    from dlcards.console import tokens, wrap_tokens

    # Column widths are chosen here and each cell is wrapped between tokens (after `(`, `, `
    # or a space), so a name, a number or a list is never broken across lines.
    rows = [(ev, _claimed(ev), _computed(ev)) for ev in report.evaluations]
    if console.width < NARROW:
        _print_stacked(report, console)
        return
    card_w = max([len("card"), *(len(ev.card.id) for ev, _, _ in rows)], default=4)
    for card_id in report.quiz_problems:
        card_w = max(card_w, len(card_id))
    # a result of several named values is one labelled line per value: measured by its
    # longest line, and given room for `median after: 169.1667` (it was measured whole, and
    # wrapped one word a line at 160 columns)
    claimed_w = min(max([len("claimed"), *(_widest(c) for _, c, _ in rows)]), 15)
    computed_w = min(max([len("computed"), *(_widest(c) for _, _, c in rows)]), 24)
    status_w = max(len(text) for text in STATUS_TEXT.values())
    words = [t for ev, _, _ in rows for t in tokens(ev.call) if "[" not in t]  # lists may wrap
    longest = min(max((len(t.rstrip()) for t in words), default=16), 30)
    comp_w = max(console.width - card_w - claimed_w - computed_w - status_w - 4, 16, longest)
    # a wide call takes its room from the value columns, whose cells wrap too
    spare = console.width - card_w - comp_w - status_w - 4
    if claimed_w + computed_w > spare:
        claimed_w = max(spare * claimed_w // (claimed_w + computed_w), 7)
        computed_w = max(spare - claimed_w, 8)

    def cell(text: str, width: int, style: str = "") -> Text:
        # each labelled line wrapped on its own: never `0.5` and `linear` joined as a word
        lines = [piece for line in text.split("\n") for piece in wrap_tokens(line, width)]
        return Text("\n".join(lines), style=style)

    table = Table(box=None, header_style="bold", pad_edge=False, collapse_padding=True)
    table.add_column("card", style="cyan", no_wrap=True, width=card_w)
    table.add_column("computation", no_wrap=True, width=comp_w)
    table.add_column("claimed", justify="right", no_wrap=True, width=claimed_w)
    table.add_column("computed", justify="right", no_wrap=True, width=computed_w)
    table.add_column("status", no_wrap=True, width=status_w)
    for ev, claimed, computed in rows:
        status = ev.status
        computation = cell(ev.call, comp_w)
        if ev.error:
            computation.append("\n")
            computation.append_text(cell(ev.error, comp_w, "red"))
        table.add_row(
            ev.card.id,
            computation,
            cell(claimed, claimed_w),
            cell(computed, computed_w),
            Text(STATUS_TEXT[status], style=STATUS_STYLE[status]),
        )
    for card_id, problems in report.quiz_problems.items():
        for problem in problems:
            table.add_row(card_id, cell(problem, comp_w, "red"), "", "", Text("error", style="red"))
    console.print(table)
    _print_notes(report, console)


def _print_notes(report: Report, console: Console) -> None:
    """Errata and notes, repaired questions, warnings and the summary line, after the table."""
    from rich.text import Text

    from dlcards.console import echo
    from dlcards.render import to_rich

    headings = {
        "erratum": ("Errata: what the source gets wrong, corrected on the card", "yellow"),
        "note": ("Notes: what the source leaves imprecise, made precise on the card", "blue"),
    }
    for kind, (heading, style) in headings.items():
        remarks = report.of_kind(kind)
        if not remarks:
            continue
        console.print()
        console.print(Text(heading, style="bold"))
        rows = []
        for remark in remarks:
            text = to_rich(remark.text)
            if remark.references:
                text.append("\n" + "; ".join(remark.references), style="dim")
            else:
                text.append("\nno references", style="bold red")
            rows.append((remark.card.id, text))
        console.print(_IdColumns(rows, style))
    if report.repaired:
        console.print()
        console.print(
            Text("Repaired questions: the source's words kept in source_question", style="bold")
        )
        repaired = []
        for card in report.repaired:
            assert card.source_question is not None
            repaired.append(
                (card.id, to_rich(card.source_question) + Text(" → ") + to_rich(card.question))
            )
        console.print(_IdColumns(repaired, "cyan"))
    for warning in report.warnings:
        echo(f"warning: {warning}", "yellow")
    console.print()
    console.print(_summary(report))


class _IdColumns:
    """Card ids, each beside its text wrapped in the rest of the width: the bytes of
    `Table.grid(padding=(0, 2))` with an id column (`id_style`, no wrap) and a text column
    (ratio 1), without the table's measuring of every cell (the 60 errata and notes took a
    third of `dlcards check`'s time)."""

    def __init__(self, rows: Sequence[tuple[str, Text]], id_style: str) -> None:
        self.rows, self.id_style = rows, id_style

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        from rich.segment import Segment

        id_w = max((len(card_id) for card_id, _ in self.rows), default=0)
        style = console.get_style(self.id_style)
        width = options.update_width(max(options.max_width - id_w - 2, 1))
        for card_id, text in self.rows:
            for n, line in enumerate(console.render_lines(text, width, pad=True)):
                if n == 0:  # as the grid draws it: the id, then its padding
                    yield Segment(card_id.ljust(id_w), style)
                    yield Segment("  ", style)
                else:  # a blank id cell and its padding, one run
                    yield Segment(" " * (id_w + 2), style)
                yield from line
                yield Segment.line()


def _as_json(report: Report) -> dict[str, Any]:
    return {
        "ok": not report.failures,
        "summary": _summary(report),
        "counts": {s: report.count(s) for s in STATUS_TEXT},
        "computations": [
            {
                "card": ev.card.id,
                "fn": ev.compute.fn,
                "args": dict(ev.compute.args),
                "label": ev.compute.label,
                "claim": ev.compute.claim,
                "value": ev.result.value if ev.result is not None else None,
                "status": ev.status,
                "error": ev.error,
            }
            for ev in report.evaluations
        ],
        "quiz_problems": report.quiz_problems,
        "content": {
            "errata": len(report.of_kind("erratum")),
            "notes": len(report.of_kind("note")),
            "repaired_questions": len(report.repaired),
            "without_references": [card.id for card in report.unreferenced],
        },
        "errata": [_remark_json(r, report) for r in report.of_kind("erratum")],
        "notes": [_remark_json(r, report) for r in report.of_kind("note")],
        "repaired": [
            {"card": c.id, "question": c.question, "source_question": c.source_question}
            for c in report.repaired
        ],
        "warnings": report.warnings,
        "failures": report.failures,
    }


def _remark_json(remark: Remark, report: Report) -> dict[str, Any]:
    """The remark, its references, and the status of each of its card's computations."""
    return {
        "card": remark.card.id,
        remark.kind: remark.text,
        "references": list(remark.references),
        "computations": [ev.status for ev in report.evaluations if ev.card.id == remark.card.id],
    }


def _deck_errors(decks: Sequence[str]) -> list[str]:
    """Each deck file's own error, in load order (a topic or id defined twice is a problem
    between files, not of one: none here)."""
    from dlcards.catalog import deck_files, read_deck
    from dlcards.errors import DeckError, one_line

    problems = []
    for file in deck_files(decks):
        try:
            read_deck(file)
        except DeckError as err:
            problems.append(one_line(str(err)))
    return problems


def check(decks: list[str] | None = DecksOption, json_: bool = JsonOption) -> None:
    """Validate the decks and check every number the math cards state against the engine.

    Also counts and lists the errata and notes on the cards. Exits 1 if a claim disagrees with
    the engine (unless it is marked `wrong: true` and the card's erratum explains it), a
    computation or quiz template fails, or an erratum or note has no references. Math cards
    without a compute block are warnings.
    """

    from dlcards.catalog import load_catalog
    from dlcards.commands.common import decks_as_committed
    from dlcards.console import echo, out, print_json
    from dlcards.errors import DeckError, one_line

    decks_as_committed(None)  # a killed import's decks are not the learner's
    try:
        catalog = load_catalog(decks or ())
    except DeckError as err:  # a linter names every broken file, not only the first
        problems = _deck_errors(decks or ())
        if json_:
            print_json({"deck_errors": problems or [one_line(str(err))]})
        elif len(problems) > 1:
            for problem in problems:
                echo(f"error: {problem}")
        if len(problems) > 1:
            raise DeckError(
                f"check failed: {counted(len(problems))} deck files have errors "
                f"({'listed above' if not json_ else 'deck_errors'})"
            ) from None
        raise
    report = build_report(catalog)
    if json_:
        print_json(_as_json(report))
    else:
        _print(report, out())
    failures = report.failures
    if failures:
        more = f" (and {counted(len(failures) - 3)} more)" if len(failures) > 3 else ""
        hints = []
        if report.count("mismatch"):
            hints.append(
                "fix the claim, or mark it `wrong: true` and explain the source's mistake in an "
                "`erratum:` on the card"
            )
        if report.unreferenced:
            hints.append("give every erratum and note `references:` where a learner can check it")
        hint = "; ".join(hints)
        hint = f". {hint[:1].upper()}{hint[1:]}" if hint else ""
        raise DlcardsError(
            f"check failed: {'; '.join(failures[:3])}{more}{hint}",
            exit_code=1,
        )
