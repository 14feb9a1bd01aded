"""`dlcards optimize` on review logs simulated from known FSRS parameters: the fitted ones beat
the defaults on Anki's measures, are kept (or not, with --dry-run), and every FSRS computation
uses them afterwards."""

from __future__ import annotations

import json
import os
import sys
from datetime import date, datetime, timezone
from functools import cache
from pathlib import Path
from typing import Any

import helpers as h
import pytest
from typer.testing import CliRunner

from dlcards import fsrs_sched
from dlcards.catalog import load_catalog
from dlcards.cli import app
from dlcards.optimize import MIN_REVIEWS, fit, rating, training_items
from dlcards.settings import DEFAULT_FSRS_PARAMETERS as DEFAULT
from dlcards.simulate import fsrs_review_log
from dlcards.store import Store

runner = CliRunner()
START = date(2025, 1, 1)
# a learner who forgets faster than FSRS's defaults assume, and whose memories grow slower
TRUE = (0.1, 0.5, 1.0, 4.0, *DEFAULT[4:8], 1.2, *DEFAULT[9:20], 0.35)


def cli(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def load_log(log: dict[str, list[tuple[date, int]]]) -> None:
    """The log into the test database, as dlcards would have written it (SM-2 kept)."""
    h.import_log(log, datetime(2025, 1, 1, tzinfo=timezone.utc))


def simulated(n: int = 300, days: int = 365) -> dict[str, list[tuple[date, int]]]:
    """The log of the first `n` built-in cards reviewed for `days` days by the learner TRUE
    describes: a copy of the one simulated once per test process (the same seed, the same
    log; ~0.4 s each, asked five times in this module)."""
    return {card: list(reviews) for card, reviews in _simulated(n, days).items()}


@cache
def _simulated(n: int, days: int) -> dict[str, list[tuple[date, int]]]:
    ids = [c.id for c in load_catalog().cards][:n]
    return fsrs_review_log(ids, TRUE, START, days, seed=7)


def test_training_items_are_ankis() -> None:
    """Each review after a card's first, with the history before it; days between reviews."""
    d = date(2026, 1, 1)
    log = {"a": [(d, 4), (date(2026, 1, 4), 1), (date(2026, 1, 5), 5)], "b": [(d, 0)]}
    assert training_items(log) == [[(3, 0), (1, 3)], [(3, 0), (1, 3), (4, 1)]]
    assert [rating(g) for g in range(6)] == [1, 1, 1, 2, 3, 4]


def test_fitted_parameters_beat_the_defaults_on_a_simulated_learner() -> None:
    log = simulated()
    result = fit(log, DEFAULT, DEFAULT)
    assert result.reviews == len(training_items(log)) >= MIN_REVIEWS
    assert result.fitted.log_loss < result.default.log_loss
    assert result.fitted.rmse_bins < result.default.rmse_bins
    # the fit moved towards the learner: its first-day memories are weaker than the defaults
    assert result.parameters[0] < DEFAULT[0] and result.parameters[2] < DEFAULT[2]


def test_optimize_dry_run_then_keep_then_fsrs_uses_them() -> None:
    load_log(simulated())
    dry = json.loads(cli("optimize", "--dry-run", "--json"))
    assert dry["better"] and not dry["kept"]
    assert dry["fitted"]["log_loss"] < dry["default"]["log_loss"]
    assert dry["fitted"]["rmse_bins"] < dry["default"]["rmse_bins"]
    assert cli("config", "fsrs_parameters").strip() == "default"

    text = cli("optimize")
    assert "log loss" in text and "RMSE (bins)" in text and "Kept" in text
    stored = cli("config", "fsrs_parameters").strip()
    fitted = tuple(float(x) for x in stored.split(","))
    assert len(fitted) == 21 and fitted != DEFAULT

    # switching to FSRS rebuilds every card with the fitted parameters
    cli("config", "scheduler", "fsrs")
    card_id, history = next(iter(simulated().items()))
    state = json.loads(cli("show", card_id, "--json", "--today", "2026-01-01"))["state"]
    with_fitted = fsrs_sched.replay(history, 0.9, fitted)
    with_default = fsrs_sched.replay(history, 0.9, DEFAULT)
    assert state["fsrs"]["stability"] == pytest.approx(with_fitted.stability)
    assert with_fitted.stability != pytest.approx(with_default.stability)
    recall = fsrs_sched.retrievability(with_fitted, date(2026, 1, 1), fitted)
    assert state["recall"] == pytest.approx(recall, abs=1e-4)

    # again on the same log: the current parameters are the fitted ones, nothing better
    again = json.loads(cli("optimize", "--json"))
    assert again["current"] is not None and not again["kept"]
    assert cli("config", "fsrs_parameters").strip() == stored
    # back to SM-2 and to FSRS again: the parameters stay
    cli("config", "scheduler", "sm2")
    cli("config", "scheduler", "fsrs")
    assert cli("config", "fsrs_parameters").strip() == stored


def test_too_few_reviews_says_how_many_more() -> None:
    log = simulated(n=10, days=60)
    load_log(log)
    have = len(training_items(log))
    result = runner.invoke(app, ["optimize"])
    assert result.exit_code != 0
    assert f"{have} reviews of cards seen before, {MIN_REVIEWS} needed" in result.output
    assert f"study {MIN_REVIEWS - have} more" in result.output


def test_too_few_reviews_without_the_extra_names_both(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the optimizer installed and with too few reviews, only "study 390 more" was
    said; the learner who did so then heard the command needs a package too."""
    log = simulated(n=10, days=60)
    load_log(log)
    monkeypatch.setitem(sys.modules, "fsrs_rs_python", None)
    result = runner.invoke(app, ["optimize"])
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())
    assert f"study {MIN_REVIEWS - len(training_items(log))} more" in said
    assert "pip install 'dlcards[optimize]'" in said
    assert result.output.count("\n") == 1  # one line


def test_without_the_extra_it_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    load_log(simulated())
    monkeypatch.setitem(sys.modules, "fsrs_rs_python", None)
    result = runner.invoke(app, ["optimize"])
    assert result.exit_code != 0
    assert "pip install 'dlcards[optimize]'" in result.output


def test_a_bad_parameters_setting_is_refused() -> None:
    bad = runner.invoke(app, ["config", "fsrs_parameters", "1,2,3"])
    assert bad.exit_code != 0 and "must be 21 numbers (FSRS-6), not 3" in bad.output
    # the value at fault is named (torture run 2: "must be 21 finite numbers, not 21")
    for first, said in (
        ("nan", "w[0] = nan is not a finite number"),
        ("inf", "w[0] = inf is not a finite number"),
        ("", "w[0] is empty, not a number"),
        ("x1", "w[0] is 'x1', not a number"),
    ):
        text = ",".join([first, *(str(w) for w in DEFAULT[1:])])
        bad = runner.invoke(app, ["config", "fsrs_parameters", text])
        assert bad.exit_code == 2 and said in bad.output, bad.output
    # brackets: one pair around the list; more, or none inside, is no setting (round 18:
    # `[[[`, `[]` and `((` set the defaults, exit 0)
    for text, said in (
        ("[]", "'[]' holds no numbers"),
        ("( )", "'( )' holds no numbers"),
        ("[[[", "w[0] is '[[[', not a number"),
        ("[[" + ",".join(map(str, DEFAULT)) + "]]", "w[0] is '["),
    ):
        bad = runner.invoke(app, ["config", "fsrs_parameters", text])
        assert bad.exit_code == 2 and said in bad.output, bad.output
        assert bad.output.count("\n") == 1
    listed = "[" + ", ".join(str(w) for w in DEFAULT) + "]"  # as Python prints a list
    assert runner.invoke(app, ["config", "fsrs_parameters", listed]).exit_code == 0
    spaced = " ".join(str(w) for w in DEFAULT)  # spaces separate them too
    assert runner.invoke(app, ["config", "fsrs_parameters", spaced]).exit_code == 0
    out = ",".join(str(w) for w in (*DEFAULT[:20], 5.0))
    bad = runner.invoke(app, ["config", "fsrs_parameters", out])
    assert bad.exit_code != 0 and "w[20] = 5 is outside" in bad.output


def test_the_settings_copy_of_fsrs_bounds_is_py_fsrs() -> None:
    from fsrs import scheduler

    from dlcards.settings import FSRS_BOUNDS

    assert [b[0] for b in FSRS_BOUNDS] == pytest.approx(list(scheduler.LOWER_BOUNDS_PARAMETERS))
    assert [b[1] for b in FSRS_BOUNDS] == pytest.approx(list(scheduler.UPPER_BOUNDS_PARAMETERS))


def test_fitted_parameters_hold_through_an_import() -> None:
    """Reviews merged from elsewhere (what `dlcards import anki` does) replay FSRS with the
    fitted parameters, as the collection's settings say."""
    from datetime import timedelta

    from dlcards.store import ImportedReview

    log = simulated()
    load_log(log)
    cli("optimize")
    fitted = tuple(float(x) for x in cli("config", "fsrs_parameters").strip().split(","))
    cli("config", "scheduler", "fsrs")
    card_id, history = next(iter(log.items()))
    later = history[-1][0] + timedelta(days=3)
    with Store.open(Path(os.environ["DLCARDS_DB"])) as store:
        store.merge_reviews(
            [
                ImportedReview(
                    card_id, 1_900_000_000_000, f"{later.isoformat()}T09:00:00+00:00", later, 4
                )
            ],
            h.merge_rules(),  # type: ignore[arg-type]
        )
        state = store.memory(card_id).fsrs
    expected = fsrs_sched.replay([*history, (later, 4)], 0.9, fitted)
    assert state.stability == pytest.approx(expected.stability)
    assert state.stability != pytest.approx(
        fsrs_sched.replay([*history, (later, 4)], 0.9).stability
    )


@pytest.fixture(scope="module")
def fitted_once() -> dict[date, tuple[Path, dict[str, Any]]]:
    """The database folders `fitted_before` made, and their dry run's JSON, by day made on."""
    return {}


@pytest.fixture
def fitted_before(
    isolated: Path,
    fitted_once: dict[date, tuple[Path, dict[str, Any]]],
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Any]:
    """The simulated log imported and fitted once (a `current (fitted before)` row in the next
    fit), and `optimize --dry-run --json` on it. Made once per module and day, by the first
    test that asks, in its isolated environment; the others copy its database folder and get
    a copy of the JSON (the import and two fits were ~0.3 s of each case)."""
    import copy
    import shutil

    data = isolated / "data"
    today = date.today()
    if today not in fitted_once:
        load_log(simulated())
        cli("optimize")  # fitted once: a `current (fitted before)` row too
        dry = json.loads(cli("optimize", "--dry-run", "--json"))
        kept = tmp_path_factory.mktemp("fitted") / "data"
        shutil.copytree(data, kept)
        fitted_once[today] = (kept, dry)
    else:
        shutil.copytree(fitted_once[today][0], data, dirs_exist_ok=True)
    return copy.deepcopy(fitted_once[today][1])


@pytest.mark.parametrize("columns", [30, 40, 50])
def test_a_narrow_screen_keeps_every_header_and_number_whole(
    monkeypatch: pytest.MonkeyPatch, fitted_before: dict[str, Any], columns: int
) -> None:
    """At 30 columns `optimize --dry-run` cut its table's header to `paramete…` and folded
    `fitted now` over two lines; with the parameters fitted before, 40 columns did too.
    Narrower than the table, each row's name goes above its numbers (as `simulate`'s)."""
    from dlcards.console import out

    data = fitted_before
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    monkeypatch.setenv("TERM", "dumb")
    monkeypatch.setenv("COLUMNS", str(columns))
    out.cache_clear()
    lines = cli("optimize", "--dry-run").splitlines()
    assert all(len(line) <= columns for line in lines) and "…" not in "".join(lines), lines
    assert any(line.split() == ["log", "loss", "RMSE", "(bins)"] for line in lines) or any(
        line.split() == ["parameters", "log", "loss", "RMSE", "(bins)"] for line in lines
    ), lines
    for name, key in [("default", "default"), ("current (fitted before)", "current"),
                      ("fitted now", "fitted")]:  # fmt: skip
        at = next(i for i, line in enumerate(lines) if line.startswith(name))
        row = lines[at].removeprefix(name).split() or lines[at + 1].split()
        assert len(row) == 2 and row[1].endswith("%"), lines
        # the screen rounds the measures to 4 places, the JSON to 5: the screen's figure is
        # the JSON's within half a unit of its last place (the JSON's own rounding added)
        shown = (float(row[0]), float(row[1].removesuffix("%")) / 100)
        for figure, value in zip(
            shown, (data[key]["log_loss"], data[key]["rmse_bins"]), strict=True
        ):
            assert abs(figure - value) <= 0.00005 + 0.000005 + 1e-12, (name, row, lines)


def test_one_review_too_few_is_said_in_the_singular() -> None:
    """A log of one review after a card's first said `1 reviews of cards seen before`."""
    from dlcards.errors import UsageError

    log = {"a": [(START, 4), (date(2025, 1, 4), 5)]}
    with pytest.raises(UsageError, match=r"too few reviews to fit FSRS: 1 review of cards seen"):
        fit(log, DEFAULT, DEFAULT)
