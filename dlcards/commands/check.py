"""`dlcards check`: validate every deck and check every number the math cards state.

Loading the catalog validates the decks (a deck error exits 2, as everywhere). Then every
`compute:` block runs through the engine and its value is compared with the block's `claim`
(relative tolerance: the block's `tolerance`, default 1e-3). Each block gets a status:

    ok        the engine agrees with the claim
    computed  no claim: the block illustrates a formula
    erratum   the engine disagrees, and the card carries an `erratum:` note that explains it
    MISMATCH  the engine disagrees and the card does not say so
    error     the computation cannot run (unknown function, bad argument, ...)

Quiz templates are drawn 25 times with fixed seeds; a draw the engine rejects, or a template
parameter that never reaches the computation, is an error.

Any MISMATCH or error exits 1 with a one-line summary. Warnings do not fail the check: a card
tagged `math` with no compute block (the tag also works as a plain study tag in your own decks)
and a card with compute blocks but no `math` tag (so `--tag math` would miss it). The shipped
decks have neither; a test holds them to that.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dlcards.commands.options import DecksOption, JsonOption
from dlcards.errors import DlcardsError

if TYPE_CHECKING:
    from rich.console import Console

    from dlcards.catalog import Catalog
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
class Report:
    evaluations: list[Evaluation]
    quiz_problems: dict[str, list[str]]  # card id -> problems
    quiz_templates: int
    warnings: list[str]
    errata: list[tuple[str, str]]  # (card id, erratum text)
    cards: int
    math_cards: int

    def count(self, status: str) -> int:
        return sum(ev.status == status for ev in self.evaluations)

    @property
    def failures(self) -> list[str]:
        """One short phrase per failing block or template, naming the card."""
        out = [
            f"{ev.card.id} {ev.call}: {_computed(ev)} ≠ claimed {_claimed(ev)}"
            for ev in self.evaluations
            if ev.status == "mismatch"
        ]
        out += [f"{ev.card.id} {ev.call}: {ev.error}" for ev in self.evaluations if ev.error]
        out += [f"{cid}: {p}" for cid, problems in self.quiz_problems.items() for p in problems]
        return out


def build_report(catalog: Catalog) -> Report:
    from dlcards.mathcards import evaluate
    from dlcards.quiz import template_problems

    evaluations: list[Evaluation] = []
    warnings: list[str] = []
    quiz_problems: dict[str, list[str]] = {}
    templates = 0
    for card in catalog.cards:
        if card.is_math and not card.compute:
            warnings.append(
                f"{card.id} is tagged math but has no compute block "
                f"({card.file}:{card.line}); add one, or drop the tag"
            )
        if card.compute and not card.is_math:
            warnings.append(
                f"{card.id} has compute blocks but no math tag ({card.file}:{card.line})"
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
        errata=[(c.id, c.erratum) for c in catalog.cards if c.erratum],
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
    parts = [
        f"{report.cards} cards, {report.math_cards} math, {len(report.errata)} with an erratum",
        f"{n} computations: {report.count('ok')} ok, {report.count('computed')} computed, "
        f"{report.count('erratum')} erratum, {mismatches} MISMATCH, {errors} error",
        f"{report.quiz_templates} quiz templates × {QUIZ_DRAWS} draws",
    ]
    if report.warnings:
        parts.append(f"{len(report.warnings)} warning{'s' if len(report.warnings) != 1 else ''}")
    return " · ".join(parts)


def _print(report: Report, console: Console) -> None:
    from rich.table import Table
    from rich.text import Text

    from dlcards.render import to_rich

    table = Table(box=None, header_style="bold", pad_edge=False, collapse_padding=True)
    table.add_column("card", style="cyan", no_wrap=True)
    table.add_column("computation", overflow="fold", min_width=20)
    table.add_column("claimed", justify="right", max_width=15)
    table.add_column("computed", justify="right", max_width=20)
    table.add_column("status", no_wrap=True)
    for ev in report.evaluations:
        status = ev.status
        computation = Text(ev.call)
        if ev.error:
            computation.append(f"\n{ev.error}", style="red")
        table.add_row(
            ev.card.id,
            computation,
            _claimed(ev),
            _computed(ev),
            Text(STATUS_TEXT[status], style=STATUS_STYLE[status]),
        )
    for card_id, problems in report.quiz_problems.items():
        for problem in problems:
            table.add_row(card_id, Text(problem, style="red"), "", "", Text("error", style="red"))
    console.print(table)
    if report.errata:
        console.print()
        console.print(Text("Errata: mistakes in the source, explained on the card", style="bold"))
        errata = Table.grid(padding=(0, 2))
        errata.add_column(style="yellow", no_wrap=True)
        errata.add_column(ratio=1)
        for card_id, text in report.errata:
            errata.add_row(card_id, to_rich(text))
        console.print(errata)
    for warning in report.warnings:
        console.print(Text(f"warning: {warning}", style="yellow"))
    console.print()
    console.print(_summary(report))


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
        "errata": [{"card": cid, "erratum": text} for cid, text in report.errata],
        "warnings": report.warnings,
        "failures": report.failures,
    }


def check(decks: list[str] | None = DecksOption, json_: bool = JsonOption) -> None:
    """Validate the decks and check every number the math cards state against the engine.

    Exits 1 if a claim disagrees with the engine on a card without an `erratum:` note, or a
    computation or quiz template fails. Math cards without a compute block are warnings.
    """
    from dlcards.catalog import load_catalog
    from dlcards.console import out, print_json

    report = build_report(load_catalog(decks or ()))
    if json_:
        print_json(_as_json(report))
    else:
        _print(report, out())
    failures = report.failures
    if failures:
        more = f" (and {len(failures) - 3} more)" if len(failures) > 3 else ""
        raise DlcardsError(
            f"check failed: {'; '.join(failures[:3])}{more}. Fix the claim, or explain the "
            "source's mistake in an `erratum:` on the card",
            exit_code=1,
        )
