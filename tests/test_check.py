"""`dlcards check` on the shipped decks and on user decks with wrong claims, missing errata,
broken computations and quiz templates; and the shipped decks' math cards, block by block."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import ROOT
from typer.testing import CliRunner

from dlcards.catalog import load_catalog
from dlcards.cli import app
from dlcards.mathcards import evaluate
from dlcards.quiz import template_problems

runner = CliRunner()

# the six errata the source had, and the three false statements issue 10 names
ERRATA = {"perceptron-24", "robust-i9", "cce-29", "cce-33", "gd-27", "vgp-3"}
ERRATA |= {"perceptron-9", "gd-22", "robust-i4"}
FLAGGED = {"robust-i9", "cce-33"}  # errata whose stated number the engine contradicts


def check(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["check", *args])
    assert "Traceback" not in result.output
    return result.exit_code, result.stdout, result.stderr


def write_deck(folder: Path, body: str, name: str = "mine.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(body, encoding="utf-8")
    return folder


# --- the shipped decks ---------------------------------------------------------------------


def test_shipped_decks_pass_and_list_the_errata() -> None:
    code, out, err = check()
    assert code == 0, err
    assert err == ""
    rows = {line.split()[0] for line in out.splitlines() if " erratum" in line}
    assert FLAGGED <= rows
    for card_id in ERRATA:
        assert card_id in out
    assert "99.5" in out and "10.5" in out  # robust-i9: computed vs claimed
    assert "0 MISMATCH, 0 error" in out
    assert "0 without references" in out


def test_shipped_decks_as_json() -> None:
    code, out, _ = check("--json")
    assert code == 0
    data = json.loads(out)
    assert data["ok"] is True and data["failures"] == [] and data["warnings"] == []
    assert data["counts"]["mismatch"] == 0 and data["counts"]["error"] == 0
    assert ERRATA <= {e["card"] for e in data["errata"]}
    content = data["content"]
    assert content["errata"] == len(data["errata"]) and content["notes"] == len(data["notes"])
    assert content["without_references"] == []
    assert all(e["references"] for e in data["errata"] + data["notes"])
    assert {r["card"] for r in data["repaired"]} >= {"vgp-4", "robust-15"}
    assert f"{content['errata']} errata, {content['notes']} note" in data["summary"]
    flagged = {c["card"] for c in data["computations"] if c["status"] == "erratum"}
    assert flagged == FLAGGED
    huber = next(c for c in data["computations"] if c["card"] == "robust-i9" and c["fn"] == "huber")
    assert (huber["claim"], huber["value"]) == (10.5, 99.5)
    cce = next(c for c in data["computations"] if c["card"] == "cce-33" and c["claim"] == 2.3)
    assert cce["value"] == pytest.approx(-math.log(0.7))


def test_every_math_card_has_a_compute_block_that_runs() -> None:
    catalog = load_catalog(use_cache=False)
    math_cards = [c for c in catalog.cards if c.is_math]
    assert len(math_cards) >= 60
    assert [c.id for c in math_cards if not c.compute] == []
    assert [c.id for c in catalog.cards if c.compute and not c.is_math] == []
    for card in math_cards:
        for ev in evaluate(card):
            assert ev.status != "error", f"{card.id}: {ev.error}"
            assert ev.status != "mismatch", f"{card.id}: {ev.call} = {ev.result}"
            if ev.status == "erratum":
                assert card.id in FLAGGED


def test_the_cards_named_in_the_issue_are_math_cards_with_claims() -> None:
    cards = load_catalog(use_cache=False).by_id()
    named = (
        "perceptron-5 perceptron-8 perceptron-9 perceptron-30 mlp-6 mlp-7 mlp-12 mlp-15 mlp-21 "
        "robust-3 robust-i4 robust-i9 bce-18 bce-19 bce-21 cce-26 cce-27 cce-30 cce-33 gd-9 "
        "gd-13 gd-14 gd-22 gd-23 gd-28 gd-30 gd-41 vgp-1 vgp-3 vgp-7"
    ).split()
    for card_id in named:
        assert cards[card_id].is_math and cards[card_id].compute, card_id
    claims = {
        (card_id, b.fn): b.claim
        for card_id in ("robust-3", "robust-i9", "gd-23", "gd-30", "mlp-15", "cce-33")
        for b in cards[card_id].compute
        if b.claim is not None
    }
    assert claims[("robust-3", "mae")] == 10 and claims[("robust-3", "mse")] == 100
    assert claims[("robust-i9", "mae")] == 100 and claims[("robust-i9", "mse")] == 10000
    # the source's value stays, marked wrong; the erratum's own block states the right one
    huber = {(b.claim, b.wrong) for b in cards["robust-i9"].compute if b.fn == "huber"}
    assert huber == {(10.5, True), (99.5, False)}
    assert claims[("gd-23", "updates_per_epoch")] == 5
    assert claims[("mlp-15", "weighted_sum")] == 11
    assert claims[("cce-33", "cce")] == 2.3


def test_every_quiz_template_draws_valid_questions() -> None:
    cards = [c for c in load_catalog(use_cache=False).cards if c.quiz]
    assert len(cards) >= 15
    for card in cards:
        assert template_problems(card, draws=200) == [], card.id


# --- user decks ------------------------------------------------------------------------------


def _robust_copy() -> str:
    """The robust deck under a new topic and new ids."""
    text = (ROOT / "decks" / "04-robust.yaml").read_text(encoding="utf-8")
    text = text.replace("topic: robust\n", "topic: robust-copy\n", 1)
    return text.replace("- id: robust-", "- id: copy-robust-")


def test_a_copied_deck_without_its_erratum_fails(tmp_path: Path) -> None:
    """robust-i9 with its erratum, references and `wrong: true` mark removed."""
    text = _robust_copy()
    start = text.index("- id: copy-robust-i9\n")
    end = text.index("\n- id: ", start + 1)
    card = text[start:end]
    card, removed = re.subn(r"\n  erratum: .*", "", card)
    card = re.sub(r"\n  references:(\n  - .*)+", "", card)
    card = card.replace(", wrong: true", "")
    assert removed == 1 and "references" not in card and "wrong" not in card
    folder = write_deck(tmp_path / "decks", text[:start] + card + text[end:], "robust-copy.yaml")
    code, out, err = check("--decks", str(folder))
    assert code == 1
    assert "MISMATCH" in out
    line = err.strip()
    assert line.startswith("error: check failed: copy-robust-i9 huber(error=100, delta=1)")
    assert "99.5 ≠ claimed 10.5" in line and "erratum" in line
    assert "\n" not in line


def test_a_wrong_mark_needs_the_erratum(tmp_path: Path) -> None:
    text = _robust_copy()
    start = text.index("- id: copy-robust-i9\n")
    end = text.index("\n- id: ", start + 1)
    card = re.sub(r"\n  erratum: .*", "", text[start:end])
    card = re.sub(r"\n  references:(\n  - .*)+", "", card)
    folder = write_deck(tmp_path / "decks", text[:start] + card + text[end:], "robust-copy.yaml")
    code, _, err = check("--decks", str(folder))
    assert code == 2
    assert "card copy-robust-i9: compute huber is marked 'wrong: true'" in err
    assert "no erratum" in err


MINE = """topic: mine
title: Mine
cards:
  - id: mine-1
    question: Huber at 100?
    answer: 10.5
    tags: [math]
"""


def test_a_wrong_claim_fails_and_an_erratum_excuses_it(tmp_path: Path) -> None:
    deck = MINE + "    compute: {fn: huber, args: {error: 100}, claim: 10.5}\n"
    folder = write_deck(tmp_path / "a", deck)
    code, out, err = check("--decks", str(folder))
    assert code == 1
    assert "mine-1" in err and "MISMATCH" in out
    # an erratum alone does not excuse the number: the claim must be marked as the source's
    with_erratum = deck + "    erratum: It is 99.5.\n    references: [PyTorch HuberLoss]\n"
    code, out, err = check("--decks", str(write_deck(tmp_path / "b", with_erratum)))
    assert code == 1 and "99.5 ≠ claimed 10.5" in err
    fixed = with_erratum.replace("claim: 10.5}", "claim: 10.5, wrong: true}")
    code, out, err = check("--decks", str(write_deck(tmp_path / "c", fixed)))
    assert code == 0, err
    assert "mine-1" in out and "It is 99.5." in out and "PyTorch HuberLoss" in out


def test_an_erratum_computation_must_agree_with_the_engine(tmp_path: Path) -> None:
    """The erratum's own numbers are checked: a wrong correction fails like any claim."""
    deck = MINE + (
        "    compute:\n"
        "    - {fn: huber, args: {error: 100}, claim: 10.5, wrong: true}\n"
        "    - {fn: huber, args: {error: 100}, claim: 99}\n"
        "    erratum: It is 99.\n"
        "    references: [PyTorch HuberLoss]\n"
    )
    code, out, err = check("--decks", str(write_deck(tmp_path / "a", deck)))
    assert code == 1
    assert "99.5 ≠ claimed 99" in err
    code, out, _ = check("--decks", str(tmp_path / "a"), "--json")
    erratum = next(e for e in json.loads(out)["errata"] if e["card"] == "mine-1")
    assert erratum["computations"] == ["erratum", "mismatch"]


def test_a_claim_marked_wrong_that_the_engine_confirms_fails(tmp_path: Path) -> None:
    deck = MINE + (
        "    compute: {fn: huber, args: {error: 100}, claim: 99.5, wrong: true}\n"
        "    erratum: It is 99.5.\n"
        "    references: [PyTorch HuberLoss]\n"
    )
    code, out, err = check("--decks", str(write_deck(tmp_path / "a", deck)))
    assert code == 1
    assert "mine-1 huber(error=100): marked wrong, but the engine agrees with 99.5" in err


def test_errata_and_notes_need_references(tmp_path: Path) -> None:
    deck = """topic: mine
title: Mine
cards:
  - id: mine-1
    question: q
    answer: a
    erratum: It is b.
  - id: mine-2
    question: q
    answer: a
    note: Only for small steps.
  - id: mine-3
    question: q
    answer: a
    note: Only for convex losses.
    references: ["Bishop (2006), §5.2"]
"""
    code, out, err = check("--decks", str(write_deck(tmp_path / "a", deck)))
    assert code == 1
    assert "mine-1: erratum without references" in err
    assert "mine-2: note without references" in err
    assert "mine-3" not in err
    assert "Give every erratum and note `references:`" in err
    assert "Notes: what the source leaves imprecise" in out and "Only for small steps." in out
    code, out, _ = check("--decks", str(tmp_path / "a"), "--json")
    data = json.loads(out)
    assert data["ok"] is False
    assert data["content"]["without_references"] == ["mine-1", "mine-2"]
    notes = {n["card"]: n for n in data["notes"]}
    assert notes["mine-3"] == {
        "card": "mine-3",
        "note": "Only for convex losses.",
        "references": ["Bishop (2006), §5.2"],
        "computations": [],
    }


@pytest.mark.parametrize("claim", ["1e-10", "0", "9e-12", "1e-9"])
def test_a_tiny_claim_is_held_to_the_relative_tolerance(tmp_path: Path, claim: str) -> None:
    """0.25²⁰ = 9.095 × 10⁻¹³ (20 sigmoid layers): claims of 10⁻¹⁰, 0, 9 × 10⁻¹² and 10⁻⁹
    passed `check` as 'ok', within an absolute 10⁻⁹ of it, though each is 10 to 1,000 times
    off or says the gradient is gone. The tolerance is relative, as README and the card's
    `tolerance:` say; 9.095e-13 itself agrees."""
    body = """topic: mine
title: Mine
cards:
  - id: mine-1
    question: q
    answer: a
    tags: [math]
    compute: {{fn: vanishing_product, args: {{layers: 20, activation: sigmoid}}, claim: {claim}}}
"""
    assert 0.25**20 == pytest.approx(9.094947e-13, rel=1e-6)  # the value, worked out here
    code, out, err = check("--decks", str(write_deck(tmp_path / "a", body.format(claim=claim))))
    assert code == 1 and "mine-1" in err and "MISMATCH" in out, (claim, out[-300:])
    right = body.format(claim="9.095e-13")
    code, _, err = check("--decks", str(write_deck(tmp_path / "b", right)))
    assert code == 0, err


def test_a_rounded_claim_needs_its_tolerance(tmp_path: Path) -> None:
    body = """topic: mine
title: Mine
cards:
  - id: mine-1
    question: q
    answer: a
    tags: [math]
    compute: {{fn: cce, args: {{probs: [0.9, 0.1], target: 1}}, claim: 2.3{tol}}}
"""
    code, _, err = check("--decks", str(write_deck(tmp_path / "a", body.format(tol=""))))
    assert code == 1 and "mine-1" in err
    code, _, err = check(
        "--decks", str(write_deck(tmp_path / "b", body.format(tol=", tolerance: 0.01")))
    )
    assert code == 0, err


def test_broken_computations_and_templates_are_errors(tmp_path: Path) -> None:
    deck = """topic: mine
title: Mine
cards:
  - id: mine-1
    question: q
    answer: a
    tags: [math]
    compute: {fn: hubr, args: {error: 1}}
  - id: mine-2
    question: q
    answer: a
    tags: [math]
    compute: {fn: huber, args: {error: 1}}
    quiz:
      template: "error {e}, delta {d}?"
      params: {e: [1, 5], d: [0, 2]}
      args: {error: "{e}"}
"""
    code, out, err = check("--decks", str(write_deck(tmp_path / "d", deck)))
    assert code == 1
    assert "unknown computation 'hubr'" in out
    assert "quiz parameter 'd' never reaches huber" in out
    assert err.startswith("error: check failed: ")


def test_a_template_draw_the_engine_rejects_is_an_error(tmp_path: Path) -> None:
    deck = """topic: mine
title: Mine
cards:
  - id: mine-1
    question: q
    answer: a
    tags: [math]
    compute: {fn: bce, args: {y: 1, p: 0.5}}
    quiz:
      template: "y = 1, p = {p}?"
      params: {p: [0.0, 1.0]}
"""
    code, out, _ = check("--decks", str(write_deck(tmp_path / "d", deck)))
    assert code == 1
    assert "quiz draw p=" in out


def test_math_tag_without_compute_is_a_warning(tmp_path: Path) -> None:
    deck = """topic: mine
title: Mine
cards:
  - id: mine-1
    question: q
    answer: a
    tags: [math]
  - id: mine-2
    question: q
    answer: a
    compute: {fn: mse, args: {error: 3}, claim: 9}
"""
    code, out, err = check("--decks", str(write_deck(tmp_path / "d", deck)))
    assert code == 0, err
    assert "warning: mine-1 is tagged math but has no compute block" in out
    assert "warning: mine-2 has compute blocks but no math tag" in out
    code, out, _ = check("--decks", str(tmp_path / "d"), "--json")
    assert len(json.loads(out)["warnings"]) == 2


def test_a_deck_error_exits_2(tmp_path: Path) -> None:
    folder = write_deck(tmp_path / "d", "topic: mine\ntitle: Mine\ncards:\n  - id: x\n")
    code, _, err = check("--decks", str(folder))
    assert code == 2
    assert "required field 'question' is missing" in err


def test_table_at_80_columns_never_breaks_a_call_mid_token(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each function name with its `(`, each `key=value` argument and each number of every
    computation is on one line of the 80-column table (issue 12); only a list too long for a
    line breaks, after a comma."""
    import re

    from rich.cells import cell_len

    from dlcards.catalog import load_catalog
    from dlcards.mathcards import evaluate

    monkeypatch.setenv("COLUMNS", "80")
    result = runner.invoke(app, ["check"])
    assert result.exit_code == 0, result.output
    assert max(cell_len(line) for line in result.output.splitlines()) <= 80
    calls = [ev.call for card in load_catalog().cards for ev in evaluate(card)]
    assert calls
    for call in calls:
        for token in re.findall(r"\w+\(|\w+=[^,\[)]+|\w+=\[|-?\d[\d.e+-]*", call):
            assert token in result.output, (call, token)


def test_a_failed_computation_names_a_huge_float_argument_as_written_short(tmp_path: Path) -> None:
    """check's failure line names the call: a float argument that is a whole number was
    written as an int, 1.0e+308 as its 309 digits (a line of 700 characters)."""
    deck = tmp_path / "huge.yaml"
    deck.write_text(
        "topic: huge\ntitle: Huge\ncards:\n- id: huge-1\n  question: Step?\n  answer: A.\n"
        "  compute:\n  - {fn: gd_step, args: {w: 1.0e+308, grad: -1.0e+308, eta: 10.0}, "
        'label: "L"}\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["check", "--decks", str(deck)])
    assert result.exit_code == 1, result.output
    line = next(x for x in result.output.splitlines() if x.startswith("error: check failed"))
    assert "gd_step(w=1e+308, grad=-1e+308, eta=10)" in line and len(line) < 200, line


def test_check_names_every_broken_deck_file_and_gives_json_for_them(tmp_path: Path) -> None:
    """check is the decks' linter: with two broken files it named only the first, and with
    --json it printed no JSON at all. Each file's error now, in load order (stdout), with one
    line saying how many (stderr), exit 2; as JSON, `deck_errors`."""
    from typer.testing import CliRunner

    from dlcards.cli import app

    card = "topic: {t}\ntitle: T\ncards:\n  - id: {t}-1\n    question: Q\n    answr: A\n"
    for topic in ("a", "b"):
        (tmp_path / f"{topic}.yaml").write_text(card.format(t=topic), encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(app, ["check", "--decks", str(tmp_path)])
    assert result.exit_code == 2
    lines = result.output.splitlines()
    assert [line.split(":")[1].rsplit("/", 1)[-1] for line in lines[:2]] == ["a.yaml", "b.yaml"]
    assert all("unknown key 'answr'" in line for line in lines[:2])
    assert lines[2] == "error: check failed: 2 deck files have errors (listed above)"
    result = runner.invoke(app, ["check", "--decks", str(tmp_path), "--json"])
    assert result.exit_code == 2
    data = json.loads(result.output[: result.output.rindex("}") + 1])
    assert [e.split(":")[0].rsplit("/", 1)[-1] for e in data["deck_errors"]] == ["a.yaml", "b.yaml"]
    (tmp_path / "b.yaml").unlink()
    result = runner.invoke(app, ["check", "--decks", str(tmp_path)])  # one: the loader's line
    assert result.exit_code == 2 and result.output.count("\n") == 1
    assert "a.yaml:6: card a-1: unknown key 'answr'" in result.output


def test_every_broken_deck_file_on_a_narrow_terminal_is_broken_between_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The `error: ...` line of each broken deck file (stdout) was one line a terminal of 40
    folded inside its words; it is broken between words under its message, as every error
    on stderr is, and one line in a pipe."""
    from typer.testing import CliRunner

    from dlcards.cli import app
    from dlcards.console import out

    card = "topic: {t}\ntitle: T\ncards:\n  - id: {t}-1\n    question: Q\n    answr: A\n"
    for topic in ("a", "b"):
        (tmp_path / f"{topic}.yaml").write_text(card.format(t=topic), encoding="utf-8")
    runner = CliRunner()
    monkeypatch.setenv("COLUMNS", "40")
    piped = runner.invoke(app, ["check", "--decks", str(tmp_path)]).stdout.splitlines()
    assert len(piped) == 2 and all(line.startswith("error: ") for line in piped)
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    monkeypatch.setenv("TERM", "dumb")
    out.cache_clear()
    shown = runner.invoke(app, ["check", "--decks", str(tmp_path)]).stdout.splitlines()
    # a path longer than a line stays whole, after `error: ` (the terminal folds it)
    assert all(len(line) <= 40 or " " not in line.removeprefix("error: ") for line in shown)
    starts = [i for i, line in enumerate(shown) if line.startswith("error: ")]
    assert len(starts) == 2 and starts[0] == 0
    for a, b in zip(starts, [*starts[1:], len(shown)], strict=True):
        assert all(line.startswith(" " * 7) for line in shown[a + 1 : b]), shown
    assert [
        " ".join(line.strip() for line in shown[a:b])
        for a, b in [(0, starts[1]), (starts[1], len(shown))]
    ] == piped


@pytest.mark.parametrize("color", [False, True])
def test_the_errata_and_notes_columns_are_the_grids_bytes(color: bool) -> None:
    """`check` prints each erratum and note beside its card id without rich's Table.grid (it
    measured every cell: a third of the command's time); the bytes are the grid's, at every
    width, in colour and not."""
    import io

    from rich.console import Console
    from rich.table import Table

    from dlcards.catalog import load_catalog
    from dlcards.commands.check import _IdColumns
    from dlcards.render import to_rich

    rows = []
    for card in load_catalog().cards:
        for text in (card.erratum, card.note):
            if text:
                shown = to_rich(text)
                shown.append("\n" + "; ".join(card.references), style="dim")
                rows.append((card.id, shown))
    assert len(rows) > 50

    def printed(renderable: object, width: int) -> str:
        console = Console(
            file=io.StringIO(), width=width, force_terminal=color, no_color=not color,
            color_system="standard" if color else None,
        )  # fmt: skip
        console.print(renderable)
        return console.file.getvalue()  # type: ignore[attr-defined,no-any-return]

    for width in (30, 61, 97):  # narrow, a usual width and a wide one (each grid: ~0.15 s)
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="yellow", no_wrap=True)
        grid.add_column(ratio=1)
        for row in rows:
            grid.add_row(*row)
        assert printed(_IdColumns(rows, "yellow"), width) == printed(grid, width), width


def test_the_huber_erratum_says_whose_huber_it_computes() -> None:
    """robust-i9's erratum gave 99.5 from ½e² and δ(|e| − ½δ) while citing Hastie et al.
    §10.6, whose Huber loss is twice that (e², 2δ|e| − δ²): 199 there. The erratum names
    the convention it computes in, and the other one's value."""
    card = load_catalog(use_cache=False).by_id()["robust-i9"]
    assert card.erratum is not None
    assert "½e²" in card.erratum and "199" in card.erratum
    assert any(ref.startswith("Huber (1964)") for ref in card.references)


def test_a_remark_on_the_perceptron_s_margin_gain_counts_the_bias() -> None:
    """One update raises the point's margin y(w·x + b) by η‖x‖² without a bias and by
    η(‖x‖² + 1) with one (b += ηy adds ηy² = η). perceptron-29's erratum gave only η‖x‖²,
    though the deck's perceptron loss has a bias b throughout (perceptron-8 and -9 give both)."""
    for card in load_catalog(use_cache=False).cards:
        for text in (card.erratum, card.note):
            if text and "η‖x‖²" in text:
                assert "η(‖x‖² + 1)" in text, card.id


def test_a_same_question_that_can_change_nothing_is_a_warning(tmp_path: Path) -> None:
    """`same_question` names a card no deck holds (a typo, or a deck not loaded), or one of
    another topic, whose answers a multiple-choice question never offers anyway."""
    deck = """topic: mine
title: Mine
cards:
  - id: mine-1
    question: q
    answer: a
    same_question: [mine-9, robust-4]
  - id: mine-2
    question: q2
    answer: a2
    same_question: [mine-1]
"""
    code, out, err = check("--decks", str(write_deck(tmp_path / "d", deck)))
    assert code == 0, err
    assert "warning: mine-1 lists mine-9 under same_question, but no card mine-9 is loaded" in out
    assert "warning: mine-1 lists robust-4 under same_question, a card of topic robust" in out
    assert "mine-2" not in out
    code, out, _ = check("--decks", str(tmp_path / "d"), "--json")
    assert len(json.loads(out)["warnings"]) == 2


def test_a_remark_giving_the_perceptron_s_mistake_bound_says_whose_r_and_gamma() -> None:
    """(R/γ)² bounds the mistakes of the perceptron whose boundary passes through the origin.
    perceptron-16's note gave it for any separating (w, b) with ‖x‖ ≤ R, but a perceptron that
    also updates b can make more: x = 1 labelled +1 and x = −1 labelled −1 (R = 1, separated by
    w = 1, b = 0 at distance 1) cost it 2 mistakes. With the bias folded in as a last input of
    1, R and γ are those of (x, 1), and the bound holds."""
    points = ((1.0, 1), (-1.0, -1))
    w = b = 0.0
    mistakes = 0
    for _ in range(10):
        for x, y in points:
            if y * (w * x + b) <= 0:
                w, b, mistakes = w + y * x, b + y, mistakes + 1
    assert all(y * (w * x + b) > 0 for x, y in points)
    r = max(abs(x) for x, _ in points)
    gamma = min(y * x for x, y in points)  # w = 1, b = 0
    assert mistakes > (r / gamma) ** 2  # the bound stated for x and a (w, b) fails
    assert mistakes <= (r * r + 1) / gamma**2  # that of (x, 1) and (w, b) = (1, 0) holds
    said = {
        card.id: text
        for card in load_catalog(use_cache=False).cards
        for text in (card.erratum, card.note)
        if text and "(R/γ)²" in text
    }
    assert "perceptron-16" in said
    for card_id, text in said.items():
        assert "(x, 1)" in text, card_id


def test_a_huber_answer_joining_mse_and_mae_is_told_the_pieces_are_scaled() -> None:
    """robust-7 says Huber's 'two separate formulas (MSE and MAE)' have identical values and
    slopes at δ. e² and |e| themselves meet smoothly at no δ: equal values need δ = 1, where
    the slopes are 2 and 1; equal slopes need δ = ½, where the values are ¼ and ½. A card saying
    so has a remark naming the pieces Huber joins, ½e² and δ(|e| − ½δ)."""
    for delta in (0.25, 0.5, 1.0, 2.0, 3.0):
        values_meet = math.isclose(delta**2, delta)
        slopes_meet = math.isclose(2 * delta, 1.0)
        assert not (values_meet and slopes_meet)
        assert math.isclose(0.5 * delta**2, delta * (delta - 0.5 * delta))  # Huber's do
    said = [
        card
        for card in load_catalog(use_cache=False).cards
        if "(MSE and MAE)" in card.answer and "slopes" in card.answer
    ]
    assert [card.id for card in said] == ["robust-7"]
    for card in said:
        remark = f"{card.erratum or ''} {card.note or ''}"
        assert "½e²" in remark and "δ(|e| − ½δ)" in remark, card.id


def test_the_perceptron_8_note_does_not_promise_a_closer_boundary_without_a_bias() -> None:
    """perceptron-8's note said 'Closer is guaranteed only without a bias'. Without a bias the
    boundary turns toward the point, but a large step carries it past: w = [−1, 1], x = [1, 0],
    y = +1, η = 3 gives w = [2, 1], and the point's distance |w·x| / ‖w‖ grows from 0.71 (wrong
    side) to 0.89 (right side)."""
    w, x, eta = [-1.0, 1.0], [1.0, 0.0], 3.0
    before = (w[0] * x[0] + w[1] * x[1]) / math.hypot(*w)
    w = [w[0] + eta * x[0], w[1] + eta * x[1]]
    after = (w[0] * x[0] + w[1] * x[1]) / math.hypot(*w)
    assert before < 0 < after and abs(after) > abs(before)
    note = load_catalog(use_cache=False).by_id()["perceptron-8"].note
    assert note is not None
    assert "guaranteed only without a bias" not in note
    assert f"{abs(before):.2f}" in note and f"{after:.2f}" in note


def test_the_perceptron_8_note_gives_the_margin_gain_of_its_own_example_without_a_bias() -> None:
    """perceptron-8's note said every update raises the margin y(wᵀx + b) by η(‖x‖² + 1), right
    after its own example without a bias, where nothing adds the + 1: w = [−1, 1], x = [1, 0],
    y = +1, η = 3 takes the margin from −1 to 2, up by η‖x‖² = 3, not 6. The note now gives
    both gains, and compute blocks state the example's margins."""
    w, x, eta = [-1.0, 1.0], [1.0, 0.0], 3.0
    before = w[0] * x[0] + w[1] * x[1]
    w = [w[0] + eta * x[0], w[1] + eta * x[1]]
    after = w[0] * x[0] + w[1] * x[1]
    assert (before, after) == (-1.0, 2.0)
    assert after - before == eta * (x[0] ** 2 + x[1] ** 2) != eta * (x[0] ** 2 + x[1] ** 2 + 1)
    card = load_catalog(use_cache=False).by_id()["perceptron-8"]
    assert card.note is not None
    assert "η‖x‖² without a bias" in card.note and "η(‖x‖² + 1) when b is updated" in card.note
    margins = {(tuple(b.args["w"]), b.claim) for b in card.compute if b.fn == "perceptron_margin"}
    assert {((-1, 1), -1), ((2, 1), 2)} <= margins


def test_the_card_saying_every_parameter_moves_the_loss_is_told_of_dead_units() -> None:
    """backprop-2 says changing any single parameter 'will slightly alter the prediction and
    thus the loss'. A ReLU unit whose input is negative on every example (a dead unit, vgp-8)
    outputs 0 everywhere: nudging its incoming weight, its bias or its outgoing weight changes
    no prediction and no loss, and each gets a gradient of exactly 0. A two-unit network shows
    it; the card's note says so."""
    xs, ys = (1.0, 2.0, 3.0), (1.0, 3.0, 2.0)

    def loss(w1: float, w2: float, b2: float, v2: float) -> float:
        # hidden unit 1: relu(w1·x), alive; unit 2: relu(w2·x + b2); output relu₁ + v2·relu₂
        return sum(
            (max(0.0, w1 * x) + v2 * max(0.0, w2 * x + b2) - y) ** 2
            for x, y in zip(xs, ys, strict=True)
        )

    base = (1.0, -1.0, -1.0, 0.5)  # unit 2's input −x − 1 is negative on every example
    h = 1e-3
    for i in (1, 2, 3):  # unit 2's incoming weight, bias and outgoing weight
        for step in (h, -h):
            nudged = list(base)
            nudged[i] += step
            assert loss(*nudged) == loss(*base)
    assert loss(1.0 + h, *base[1:]) != loss(*base)  # the live unit's weight does move it
    note = load_catalog(use_cache=False).by_id()["backprop-2"].note
    assert note is not None and "vgp-8" in note and "exactly 0" in note


def test_the_squashing_card_is_told_what_enters_the_sigmoid() -> None:
    """mlp-12 says the final sigmoid is needed because P₁ + P₂ 'might exceed 1'. What enters it
    is W₁P₁ + W₂P₂ + B_new (mlp-11), any real number: with W = (−10, 5) and B_new = −3 the same
    P₁ = 0.7, P₂ = 0.8 give −6, below 0; and squashing into (0, 1) does not by itself make a
    probability. Its note says so, with that example."""
    z = -10 * 0.7 + 5 * 0.8 - 3
    assert math.isclose(z, -6)
    card = load_catalog(use_cache=False).by_id()["mlp-12"]
    assert card.note is not None and "W₁P₁ + W₂P₂ + B_new" in card.note and "−6" in card.note
    claims = {(b.fn, b.claim) for b in card.compute}
    assert ("weighted_sum", -6) in claims
    sigma = next(b.claim for b in card.compute if b.fn == "sigmoid" and b.args == {"z": -6})
    assert isinstance(sigma, float) and math.isclose(sigma, 1 / (1 + math.exp(6)), rel_tol=1e-3)


def test_the_keras_label_smoothing_erratum_puts_3_16_on_the_side_that_gains_it() -> None:
    """cce-29's erratum said Keras's SparseCategoricalCrossentropy 'had no label_smoothing
    argument up to Keras 3.16'. In keras-team/keras the newest release before pull request
    #23488 (opened 2026-08-22) is the tag v3.15.1 (2026-07-29), whose
    SparseCategoricalCrossentropy takes from_logits and ignore_class only, while main's
    keras/src/version.py had read 3.16.0 since 2026-06-24: the pull request went to the line
    that becomes 3.16 or later. So 3.15.1 is the last release known to lack the argument, and
    'up to 3.16' put a release that can have it among those that lack it. The erratum and its
    Keras reference say 3.15.1."""
    card = load_catalog(use_cache=False).by_id()["cce-29"]
    assert card.erratum is not None
    said = " ".join((card.erratum, *card.references))
    assert not re.search(r"up to (Keras )?3\.16", said)
    assert "up to 3.15.1" in card.erratum and "#23488" in card.erratum
    keras_doc = [ref for ref in card.references if ref.startswith("Keras documentation")]
    assert keras_doc and all("3.15.1" in ref for ref in keras_doc)


def test_a_gradient_check_s_label_says_its_value_is_a_relative_error() -> None:
    """`show backprop-24` headed a gradient check with '= 1.686 × 10⁻¹²   σ'(0.5): analytic vs
    central difference', which reads as σ'(0.5) = 1.686 × 10⁻¹² (it is σ(1 − σ) ≈ 0.235), and
    backprop-39 headed its '= 6.551 × 10⁻¹²' with '(f(3 + h) − f(3 − h)) / 2h ... against
    f'(3) = 6', which reads as the difference quotient (≈ 6). The number a gradient check
    gives is the relative error |a − n| / max(|a|, |n|) of the two, and its label says so."""
    s = 1 / (1 + math.exp(-0.5))
    analytic = s * (1 - s)
    h = 1e-5
    numeric = (1 / (1 + math.exp(-(0.5 + h))) - 1 / (1 + math.exp(-(0.5 - h)))) / (2 * h)
    relative = abs(analytic - numeric) / max(abs(analytic), abs(numeric))
    assert relative < 1e-8 < 0.2 < analytic  # the headline is nowhere near the derivative
    blocks = [
        (card.id, block)
        for card in load_catalog(use_cache=False).cards
        for block in card.compute
        if block.fn == "gradient_check"
    ]
    assert {card_id for card_id, _ in blocks} >= {"backprop-24", "backprop-39"}
    for card_id, block in blocks:
        assert block.label and "relative error" in block.label, card_id
    sigmoid = next(
        ev
        for ev in evaluate(load_catalog(use_cache=False).by_id()["backprop-24"])
        if ev.compute.fn == "gradient_check"
    )
    assert sigmoid.result is not None
    assert math.isclose(float(sigmoid.result.value), relative, rel_tol=0.5, abs_tol=1e-11)


def test_the_decks_own_words_write_small_numbers_as_the_steps_do() -> None:
    """Issue 10 asked for one number format, the steps' 9.537 × 10⁻⁷, but two labels the
    decks add to the source wrote 1e-5 and 1e-8 (backprop-39, vgp-4), above steps that write
    2 × 10⁻⁵ and 1 × 10⁻⁹. Every text the decks add (labels, errata, notes, references, quiz
    templates and their mistakes) writes powers of ten as the steps do; the source's own
    questions and answers are kept word for word."""
    e_notation = re.compile(r"(?<![\w.])\d+(?:\.\d+)?[eE][-+]?\d+(?![\w.])")
    assert e_notation.search("h = 1e-5") and e_notation.search("of 1e-8:")
    assert not e_notation.search("arXiv:1503.02531 and 10⁻⁵ and sec.8.1.3 and 2e")
    for card in load_catalog(use_cache=False).cards:
        texts = [card.erratum or "", card.note or "", *card.references]
        texts += [block.label or "" for block in card.compute]
        if card.quiz is not None:
            texts += [card.quiz.template, *(m.label for m in card.quiz.mistakes)]
        for text in texts:
            assert not e_notation.search(text), (card.id, text)


@pytest.mark.parametrize("columns", ["50", "100", "160"])  # 50: the stacked layout
def test_a_result_of_named_values_is_one_labelled_line_a_value(
    monkeypatch: pytest.MonkeyPatch, columns: str
) -> None:
    """huber_continuity and mean_median_outlier give several named values, one labelled line
    each. The table measured such a result as one string, capped its column at 20 and wrapped
    the lines as one text: `median` / `before: 3` / ..., one word a line even at 160 columns.
    Each labelled line is whole on a line of the table now."""
    from typer.testing import CliRunner

    from dlcards.catalog import load_catalog
    from dlcards.cli import app
    from dlcards.mathcards import evaluate

    monkeypatch.setenv("COLUMNS", columns)
    result = CliRunner().invoke(app, ["check"])
    assert result.exit_code == 0, result.output
    rows = [line.rstrip() for line in result.output.splitlines()]
    labelled = {
        line
        for card in load_catalog().cards
        for ev in evaluate(card)
        if ev.result is not None and "\n" in ev.result.display
        for line in ev.result.display.splitlines()
    }
    assert {"median after: 3.5", "quadratic value: 0.5"} <= labelled
    for line in labelled:
        assert any(row.endswith(line) for row in rows) or any(f" {line} " in row for row in rows), (
            line
        )


def test_the_backward_pass_note_says_which_gradient_is_y_hat_minus_y() -> None:
    """backprop-38's note said the output gradient ∂L/∂ŷ 'equals ŷ − y only for matched pairs:
    ½(ŷ − y)² with a linear output', as if a sigmoid output changed ∂L/∂ŷ. It changes ∂L/∂z:
    for ½(ŷ − y)² with ŷ = σ(z), ∂L/∂ŷ is still ŷ − y but ∂L/∂z is (ŷ − y)·ŷ(1 − ŷ); for BCE,
    ∂L/∂ŷ is (ŷ − y)/(ŷ(1 − ŷ)) and ∂L/∂z is ŷ − y. Central differences show both; the note
    names each gradient with the variable it is taken with respect to."""
    y, z, h = 1.0, 0.3, 1e-6

    def sig(t: float) -> float:
        return 1 / (1 + math.exp(-t))

    def half_se(p: float) -> float:
        return 0.5 * (p - y) ** 2

    def bce(p: float) -> float:
        return -(y * math.log(p) + (1 - y) * math.log(1 - p))

    def slope(f: Callable[[float], float], x: float) -> float:
        return (f(x + h) - f(x - h)) / (2 * h)

    p = sig(z)
    assert math.isclose(slope(half_se, p), p - y, rel_tol=1e-6)  # ∂L/∂ŷ: sigmoid or not
    by_z = slope(lambda t: half_se(sig(t)), z)
    assert math.isclose(by_z, (p - y) * p * (1 - p), rel_tol=1e-6)
    assert not math.isclose(by_z, p - y, rel_tol=0.1)
    assert math.isclose(slope(bce, p), (p - y) / (p * (1 - p)), rel_tol=1e-6)
    assert math.isclose(slope(lambda t: bce(sig(t)), z), p - y, rel_tol=1e-6)
    note = load_catalog(use_cache=False).by_id()["backprop-38"].note
    assert note is not None
    assert "∂L/∂ŷ, which equals ŷ − y only for matched pairs" not in note
    assert "(ŷ − y)·ŷ(1 − ŷ)" in note and "(ŷ − y)/(ŷ(1 − ŷ))" in note
    assert "½(ŷ − y)² with a sigmoid output" in note


def test_the_bgd_note_calls_eta_below_2_over_beta_a_guarantee_not_a_threshold() -> None:
    """gd-10's note said every BGD step lowers the loss when η < 2/β (β bounding the
    curvature) and 'with a larger η BGD oscillates or diverges'. 2/β is a sufficient
    condition only: L(w) = ½w² + 4.5·max(0, |w| − 5)² curves at most β = 10 (2/β = 0.2),
    yet η = 0.5 from w = 4 halves w at every step and the loss falls monotonically, since
    the loss curves only 1 where BGD goes. The note says 'too large an η'."""

    def grad(w: float) -> float:
        return w + 9 * math.copysign(max(0.0, abs(w) - 5), w)

    def loss(w: float) -> float:
        return 0.5 * w * w + 4.5 * max(0.0, abs(w) - 5) ** 2

    grid = [i / 10 for i in range(-100, 101)]
    beta = max(abs(grad(b) - grad(a)) / (b - a) for a, b in zip(grid, grid[1:], strict=False))
    assert math.isclose(beta, 10)
    eta, w = 0.5, 4.0
    assert eta > 2 / beta
    losses = [loss(w)]
    for _ in range(30):
        w -= eta * grad(w)
        losses.append(loss(w))
    assert all(b < a for a, b in zip(losses, losses[1:], strict=False))
    note = load_catalog(use_cache=False).by_id()["gd-10"].note
    assert note is not None
    assert "with a larger η BGD oscillates" not in note
    assert "when η < 2/β" in note and "with too large an η BGD oscillates or diverges" in note


def test_the_full_step_note_proves_its_three_quadratics() -> None:
    """backprop-14's note says η = 1 lands on the minimum of L = ½w², bounces between ±w on
    L = w² and diverges on L = 5w² (gradient descent on a quadratic converges only for
    η < 2/λ_max: 2, 1 and 0.2 here), numbers no block proved. Steps from w = 1 show each;
    the card's compute blocks state them, so `check` verifies them."""
    slopes = {"½w²": 1.0, "w²": 2.0, "5w²": 10.0}  # L = ½·c·w², L′(w) = c·w, λ = c
    paths = {}
    for name, c in slopes.items():
        w, path = 1.0, []
        for _ in range(3):
            w -= 1.0 * c * w
            path.append(w)
        paths[name] = path
    assert paths["½w²"] == [0, 0, 0]
    assert paths["w²"] == [-1, 1, -1]
    assert paths["5w²"] == [-9, 81, -729]
    assert [1.0 < 2 / c for c in slopes.values()] == [True, False, False]
    card = load_catalog(use_cache=False).by_id()["backprop-14"]
    assert card.note is not None and card.is_math
    steps = {
        (b.args["w"], b.args["grad"], b.args["eta"], b.claim)
        for b in card.compute
        if b.fn == "gd_step"
    }
    assert {(1, 1, 1, 0), (1, 2, 1, -1), (-1, -2, 1, 1), (1, 10, 1, -9)} <= steps
    assert ("mse", -1, 1) in {(b.fn, b.args.get("error"), b.claim) for b in card.compute}
