"""`dlcards calc` through the real typer app: values, steps, JSON, --list and error lines."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from dlcards.cli import app
from dlcards.engine import REGISTRY

runner = CliRunner()


def calc(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["calc", *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        (["huber", "error=100", "delta=1"], "= 99.5"),
        (["updates_per_epoch", "n=320", "batch_size=64"], "= 5\n"),
        (["cce", "probs=0.1,0.7,0.2", "target=1"], "= 0.3567\n"),
        (["weighted_sum", "p=0.7,0.8", "w=10,5"], "= 11\n"),
        (["perceptron_train", "dataset=xor"], "= never converges"),
        (["sigmoid", "z=-2"], "= 0.1192"),
    ],
)
def test_values(args: list[str], shown: str) -> None:
    code, out, err = calc(*args)
    assert code == 0, err
    assert shown in out


def test_steps_are_printed_literally_and_plainly() -> None:
    code, out, _ = calc("cce", "probs=0.1,0.7,0.2", "target=1")
    assert code == 0
    assert "−log probs[target]" in out  # brackets survive: not taken for rich markup
    assert "1. target 1 is a 0-based index: probs[1] = 0.7" in out
    assert "cce = −log(probs[1]) = −log(0.7) = 0.3567" in out
    assert "probs=[0.1, 0.7, 0.2], target=1" in out
    assert "\x1b[" not in out  # NO_COLOR and not a terminal: no escape codes


def test_numbers_read_like_a_textbook() -> None:
    code, out, _ = calc("vanishing_product", "layers=10", "activation=sigmoid")
    assert code == 0 and "= 9.537 × 10⁻⁷\n" in out and "e-07" not in out
    code, out, _ = calc("onehot_memory", "batch=32", "classes=50000")
    assert "= 6,400,000\n" in out and "32 × 50,000 × 4 = 6,400,000 bytes" in out
    code, out, _ = calc("weighted_sum", "p=1,-2", "w=-3,4", "b=-1")
    assert "= \u221212\n" in out and "(\u22123)·1 + 4·(\u22122) \u2212 1" in out
    # several named values: one labelled line each, no `quadratic_value 0.5, ...`
    code, out, _ = calc("huber_continuity", "delta=1")
    assert "  quadratic value: 0.5\n  linear value: 0.5\n" in out
    assert "quadratic_value" not in out


def test_a_huge_integer_result_is_printed_as_total_updates_prints_one() -> None:
    """`onehot_memory batch=1e300 classes=1e300 bytes=1e300` said "the result is too large
    for a float" of an integer result (its steps' size in TiB went through a float), while
    `total_updates` prints 600-digit integers. Both print theirs, every digit, through the
    JSON too; the size in TiB is worked out from the exact count."""
    from decimal import Context, Decimal

    big = 10**300
    code, out, err = calc("onehot_memory", "batch=1e300", "classes=1e300", "bytes=1e300", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["value"] == big**3
    tib = Context(prec=4).divide(Decimal(big**3), Decimal(2**40))  # 9.095E+887
    mantissa, exponent = f"{tib:.3e}".split("e+")
    raised = exponent.translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"))
    assert f"bytes ≈ {mantissa} × 10{raised} TiB" in data["steps"][0]
    code, out, err = calc("total_updates", "n=1e300", "epochs=1e300", "batch_size=1", "--json")
    assert code == 0 and json.loads(out)["value"] == big**2, err
    code, out, err = calc("sparse_memory", "batch=1e300", "bytes=1e300")
    assert code == 0 and "too large" not in out + err


def test_a_list_takes_at_most_max_items_numbers_and_each_computation_is_quick_at_it() -> None:
    """`calc softmax` of 32,000 values took 23.7 s (60,000: 46 s), laying out its steps. A
    list of more than MAX_ITEMS numbers is one line, exit 2, at once; at MAX_ITEMS every
    computation that takes a list gives its value and steps in well under a second."""
    import time

    from dlcards.engine import run
    from dlcards.engine.core import fmt
    from dlcards.engine.params import MAX_ITEMS
    from dlcards.errors import UsageError

    many = ",".join(str(i % 7 - 3) for i in range(32_000))
    start = time.perf_counter()
    code, out, err = calc("softmax", f"logits={many}")
    assert code == 2 and time.perf_counter() - start < 5, (code, err)
    assert err.strip() == (
        f"error: logits has 32,000 numbers; a computation takes at most {MAX_ITEMS} (its "
        "worked steps show each one: give a smaller example)"
    )
    n = MAX_ITEMS
    floats = [((i * 37) % 11 - 5) / 10 + 0.05 for i in range(n)]
    signs = [1 if i % 2 else -1 for i in range(n)]
    taken = 0
    for name, comp in REGISTRY.items():
        if not any(p.kind in ("floats", "ints") for p in comp.params):
            continue
        args: dict[str, object] = {}
        for p in comp.params:
            if p.kind == "floats":
                args[p.name] = [1 / n] * n if p.name == "probs" else floats
            elif p.kind == "ints":
                args[p.name] = signs
            elif p.default is None:
                args[p.name] = {"int": 1, "choice": (p.choices or ("",))[0]}.get(p.kind, 0.5)
        if name == "perceptron_total_loss":  # 20 examples of 10 features
            args.update(w=floats[:10], xs=floats, ys=signs[:20])
        longer = {p.name: [0.5] * (n + 1) for p in comp.params if p.kind == "floats"}
        with pytest.raises(UsageError, match=f"has {n + 1} numbers"):
            run(name, {**args, **longer})
        start = time.perf_counter()
        result = run(name, args)
        assert fmt(result.value) and result.steps
        assert time.perf_counter() - start < 0.5, name
        taken += 1
    assert taken >= 15


def test_digits_of_another_script_are_one_line_and_full_width_ones_are_read() -> None:
    """`calc sigmoid z=١٢٣` (Arabic-Indic digits) was taken as 123 by Python's float, which
    the quiz's typed answers did not read alike (`numerals`): refused in one line, exit 2.
    Full-width `１２３` (NFKC: 123) and `1_000` are read, as a typed answer reads them."""
    code, out, err = calc("sigmoid", "z=١٢٣")
    assert code == 2 and err.strip() == (
        "error: z: '١٢٣' has digits other than 0-9; write it with the digits 0-9"
    ), err
    code, out, err = calc("sigmoid", "z=１２３", "--json")
    assert code == 0 and json.loads(out)["args"] == {"z": 123}, err
    code, out, err = calc("updates_per_epoch", "n=1_000", "batch_size=３２", "--json")
    assert code == 0 and json.loads(out)["value"] == 32, err  # ⌈1000 / 32⌉


def test_json() -> None:
    code, out, _ = calc("cce", "probs=0.1,0.7,0.2", "target=1", "--json")
    assert code == 0
    data = json.loads(out)
    assert list(data) == ["name", "args", "value", "steps"]
    assert data["name"] == "cce"
    assert data["args"] == {"probs": [0.1, 0.7, 0.2], "target": 1}
    assert data["value"] == pytest.approx(0.35667494393873245, rel=1e-12)
    assert data["steps"][1] == "cce = −log(probs[1]) = −log(0.7) = 0.3567"
    code, out, _ = calc("huber", "error=2", "--json")
    assert json.loads(out)["args"] == {"error": 2.0, "delta": 1.0}
    code, out, _ = calc("mean_median_outlier", "values=1,2,3", "outlier=100", "--json")
    assert json.loads(out)["value"]["median_after"] == 2.5


def test_list() -> None:
    code, out, _ = calc("--list")
    assert code == 0
    for name, comp in REGISTRY.items():
        assert name in out
        assert comp.formula in out  # COLUMNS=160 in conftest: formulas are not wrapped
    assert "error, delta=1" in out
    assert "dataset=and|or|xor, epochs=100" in out


def test_list_one_and_as_json() -> None:
    code, out, _ = calc("huber", "--list")
    assert code == 0 and "huber" in out and "sigmoid" not in out
    code, out, _ = calc("--list", "--json")
    data = json.loads(out)
    assert [d["name"] for d in data] == list(REGISTRY)
    huber = next(d for d in data if d["name"] == "huber")
    assert huber["params"][1] == {"name": "delta", "kind": "float", "default": 1.0, "choices": []}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "error: name a computation, e.g. `dlcards calc huber error=100`"),
        (["hubr", "error=1"], "error: unknown computation 'hubr' (did you mean 'huber'?); see "),
        (["huber", "eror=1"], "error: huber has no parameter 'eror' (did you mean 'error'?)"),
        (["huber"], "error: huber needs error=<number>; usage: huber error=<number> [delta=1]"),
        (["huber", "error=abc"], "error: error must be a number (got 'abc')"),
        (["bce", "y=1", "p=1.5"], "error: p must be a probability in [0, 1] (got 1.5)"),
        (["updates_per_epoch", "n=320", "batch_size=0"], "batch_size must be a positive integer"),
        (["updates_per_epoch", "n=-3", "batch_size=2"], "error: n must be a positive integer"),
        (
            ["huber", "100"],
            "error: calc takes key=value arguments, got '100'; usage: huber error=<number>",
        ),
        (["huber", "=3"], "error: calc takes key=value arguments, got '=3'"),
        # a negative value is a value, not an option (it said "No such option: -1" and a
        # help line); a computation of one parameter names the assignment meant
        (["sigmoid", "-1"], "error: calc takes key=value arguments: did you mean z=-1?"),
        (["sigmoid", "2"], "error: calc takes key=value arguments: did you mean z=2?"),
        (["huber", "-1"], "error: calc takes key=value arguments, got '-1'; usage: huber "),
        # a mistyped option is still one
        (
            ["sigmoid", "--jsn", "z=1"],
            "error: dlcards calc has no option --jsn: did you mean --json?",
        ),
        (["--lst"], "error: dlcards calc has no option --lst: did you mean --list?"),
        (
            ["--x"],
            "error: dlcards calc has no option --x (`dlcards calc --help` lists its options; calc ",
        ),
        (["--", "-sigmoid"], "error: unknown computation '-sigmoid' (did you mean 'sigmoid'?)"),
        (["huber", "error="], "error: error has no value"),
        (["huber", "error=1", "error=2"], "error: error is given twice"),
        (["huber", "error=1", "--list"], "error: --list takes no key=value arguments"),
        (["cce", "probs=0.1,0.7,0.2", "target=3"], "target must be a class index from 0 to 2"),
        # a number too small for a float is not taken for the 0 it would become
        (["huber", "error=1", "delta=1e-400"], "error: delta is too small for a float: 1e-400"),
        (["softmax", "logits=1e-400,2"], "error: logits is too small for a float: 1e-400"),
    ],
)
def test_errors_are_one_line_with_exit_code_2(args: list[str], message: str) -> None:
    code, out, err = calc(*args)
    assert code == 2
    assert out == ""
    assert err.startswith("error: ") and err.count("\n") == 1
    assert message in err


def test_calc_has_help() -> None:
    result = runner.invoke(app, ["calc", "--help"])
    assert result.exit_code == 0
    assert "--list" in result.stdout and "--json" in result.stdout


def test_list_at_80_columns_keeps_names_and_formulas_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Wrapped at 80 columns, lines break only between tokens: every name, every word of a
    formula and every choice of a parameter is still there whole (issue 12)."""
    from rich.cells import cell_len

    from dlcards.console import out as out_console

    monkeypatch.setenv("COLUMNS", "80")
    code, out, _ = calc("--list")
    assert code == 0
    assert max(cell_len(line) for line in out.splitlines()) <= 80
    for width in (30, 40, 56):  # one column: the indented lines wrapped at the width too
        monkeypatch.setenv("COLUMNS", str(width))
        out_console.cache_clear()  # the console reads COLUMNS when made
        narrow = calc("--list")[1].splitlines()
        assert max(cell_len(line) for line in narrow) <= width
        # no stray comma on a line of its own (30 columns: "activation=sigmoid|tanh|relu")
        assert not [line for line in narrow if line.strip() in (",", "|")], narrow
    words = " ".join(out.split())
    for name, comp in REGISTRY.items():
        assert f"{name} " in words
        for word in comp.formula.split():
            assert word in out, (name, word)
        for param in comp.params:
            for piece in param.describe().split("|"):
                assert piece in out, (name, piece)


@pytest.mark.parametrize("width", [40, 60])
@pytest.mark.parametrize(
    "args",
    [
        ["perceptron_train", "dataset=and"],
        ["gradient_check", "function=sigmoid", "x=1"],
        ["softmax_shift", "logits=1,2", "c=3"],
        ["mse_grad_logit", "y=1", "p=0.01"],
        ["sigmoid", "z=0"],
    ],
)
def test_a_formula_too_long_for_the_header_is_cut_between_whole_terms(
    monkeypatch: pytest.MonkeyPatch, args: list[str], width: int
) -> None:
    """At 40 columns the header `name  formula` was wrapped as prose, inside the formula:
    `perceptron_train  repeat: for each (x,` / `y), …`, `gradient_check  |f'(x)` / `− …`.
    It is one line when it fits; else the name, then the formula under it, cut only outside
    its brackets and bars."""
    from rich.cells import cell_len

    from dlcards.console import out as out_console

    monkeypatch.setenv("COLUMNS", str(width))
    out_console.cache_clear()
    code, out, _ = calc(*args)
    assert code == 0
    comp = REGISTRY[args[0]]
    lines = out.splitlines()
    head = lines[
        : next(i for i, line in enumerate(lines) if line.startswith(f"  {args[1].split('=')[0]}="))
    ]
    assert all(cell_len(line) <= width for line in head), head
    if cell_len(f"{comp.name}  {comp.formula}") <= width:
        assert head == [f"{comp.name}  {comp.formula}"]
        return
    assert head[0] == comp.name and all(line.startswith("  ") for line in head[1:])
    body = [line.strip() for line in head[1:]]
    assert " ".join(body) == comp.formula
    for n in range(1, len(body)):  # each cut outside any bracket and absolute value
        before = " ".join(body[:n])
        depth = sum(before.count(c) for c in "([{") - sum(before.count(c) for c in ")]}")
        assert depth == 0 and before.count("|") % 2 == 0, body


def test_a_value_copied_from_a_result_with_its_minus_sign_is_read() -> None:
    """A torture run: `calc perceptron_margin ...` prints `= −5` (U+2212), and `calc huber
    error=−5` refused it (`error must be a number (got '−5')`). The sign it prints is read
    as `-`, in a number, a whole number and a list."""
    import json

    def value(*args: str) -> object:
        result = runner.invoke(app, ["calc", *args, "--json"])
        assert result.exit_code == 0, result.output
        return json.loads(result.output)["value"]

    assert value("huber", "error=\u22125") == value("huber", "error=-5") == 4.5
    assert value("mean_loss", "losses=\u22121,2") == value("mean_loss", "losses=-1,2")
    assert value("perceptron_margin", "w=1,2", "b=0", "x=1,2", "y=\u22121") == -5


@pytest.mark.parametrize("width", [40, 60, 100])
def test_list_in_an_ascii_terminal_is_measured_as_spelled(
    monkeypatch: pytest.MonkeyPatch, width: int
) -> None:
    """Found in tmux under LC_ALL=C: `calc --list` measured each formula as written (σ one
    cell) and the terminal printed it spelled (`sigma`), so at 100 columns cells were cut
    (`sigma'(z) = sigma(z)*(1 - sigma(z)), at mo...`, `along the` lost) and at 40 and 60 a
    line overflowed and wrapped to the left edge (`z)` alone, under no name). Every word of
    every spelled formula is on screen, every line fits, and in the one-column layout every
    line is a computation's name or indented under it."""
    import helpers as h
    from rich.text import Text

    from dlcards.commands.calc import print_list
    from dlcards.console import in_encoding
    from dlcards.stdio import CUT

    with h.ascii_terminal(monkeypatch, width) as raw:
        print_list(list(REGISTRY.values()))
    shown = re.sub(r"\x1b\[[0-9;]*m", "", raw.getvalue().decode("ascii"))
    lines = [line.rstrip() for line in shown.splitlines()]
    assert all(len(line) <= width for line in lines), lines
    shown = " ".join(lines)
    assert "..." not in shown and CUT not in shown, lines
    for comp in REGISTRY.values():
        for word in in_encoding(Text(comp.formula), "ascii").plain.split():
            assert word in shown, (comp.name, word)
    if not lines[0].startswith("name "):  # one column: names at the edge, the rest under them
        names = tuple(f"{name} " for name in REGISTRY)
        assert all(line.startswith(("  ", *names)) for line in lines), lines


def test_a_result_heading_in_an_ascii_terminal_is_measured_as_spelled(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The member of the class above that `calc --list`'s fix left: a result's heading, name
    and formula, was measured as written. Under LC_ALL=C at 60 columns `calc softmax` printed
    `softmax  softmax(z)_i = e^(z_i - max z) / sum_j e^(z_j - max` and `z)` alone at the left
    edge on the next line (57 cells written, 61 spelled). Too wide as shown, the formula goes
    under the name, indented, as it does when too wide as written."""
    import helpers as h

    from dlcards import engine
    from dlcards.commands.calc import _print_result

    comp = engine.get("softmax")
    result = engine.run(comp.name, {"logits": [1.0, 2.0, 3.0]})
    with h.ascii_terminal(monkeypatch, 60) as raw:
        _print_result(comp, result)
    shown = re.sub(r"\x1b\[[0-9;]*m", "", raw.getvalue().decode("ascii"))
    lines = [line.rstrip() for line in shown.splitlines()]
    assert lines[0] == "softmax", lines
    assert all(len(line) <= 60 and line.startswith("  ") for line in lines[1:3]), lines
    assert "sum_j e^(z_j - max z)" in " ".join(line.strip() for line in lines[1:3]), lines
