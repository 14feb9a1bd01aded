"""The README's examples are what the program prints today (each block taken from a real run)."""

from __future__ import annotations

import io
import re
from datetime import date, datetime, timezone

from conftest import ROOT
from rich.console import Console
from typer.testing import CliRunner

from dlcards.catalog import load_catalog
from dlcards.cli import app
from dlcards.commands import study as study_screen
from dlcards.session import Limits, StudySession
from dlcards.store import Store
from dlcards.terminal import KeyInput

README = (ROOT / "README.md").read_text(encoding="utf-8")
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc)


def block(command: str) -> list[str]:
    """The lines of the README's text block that starts with `$ command`, without it."""
    match = re.search(rf"```text\n\$ {re.escape(command)}\n(.*?)```", README, re.S)
    assert match, f"no README example for {command}"
    return [line.rstrip() for line in match.group(1).splitlines()]


def test_study_sample_is_the_first_card_of_a_gd_session() -> None:
    """`dlcards study --topic gd`, Space, in a 100-column terminal: gd-1 revealed."""
    catalog = load_catalog()
    screen = io.StringIO()
    console = Console(
        file=screen, width=100, height=30, force_terminal=True, color_system=None, highlight=False
    )
    with Store.open() as store:
        store.sync(catalog.cards, "readme", NOW)
        session = StudySession(store, None, date(2026, 11, 26), lambda: NOW, Limits(new=20), ["gd"])
        first = session.current
        assert first is not None
        card = catalog.card(first.card_id)
        keys = iter(" q")
        study_screen.card_screen(
            session,
            card,
            "Gradient Descent and Its Variants",
            "new card",
            "",
            console,
            KeyInput(keys.__next__, console),
        )
    revealed = screen.getvalue().split("\x1b[2J\x1b[H")[-1]
    assert [line.rstrip() for line in revealed.splitlines()] == block("dlcards study --topic gd")


def test_calc_sample() -> None:
    result = CliRunner().invoke(app, ["calc", "huber", "error=100", "delta=1"])
    assert result.exit_code == 0
    got = [line.rstrip() for line in result.output.splitlines()]
    assert got == block("dlcards calc huber error=100 delta=1")


def test_the_errata_and_notes_counted_in_the_readme_are_the_decks() -> None:
    """The README said '44 cards have one' of the notes while the decks held 49 (its own
    `check` summary example said 49): each count it gives is the catalog's."""
    cards = load_catalog(use_cache=False).cards
    errata = sum(1 for card in cards if card.erratum)
    notes = sum(1 for card in cards if card.note)
    text = re.sub(r"\s+", " ", README)
    said_errata = re.search(r"in a sentence or two\. (\d+) cards have one", text)
    said_notes = re.search(r"(\d+) cards have one, marked \"Note:\"", text)
    summary = re.search(rf"`{len(cards)} cards, \d+ math · (\d+) errata, (\d+) notes,", text)
    assert said_errata and said_notes and summary
    assert int(said_errata.group(1)) == errata
    assert int(said_notes.group(1)) == notes
    assert (int(summary.group(1)), int(summary.group(2))) == (errata, notes)


def test_the_commands_table_names_each_commands_own_options() -> None:
    """The README's table of commands left out options the commands have (`topics --json`,
    `list --json`, `quiz --tag`, `export text --topic/--tag`, `simulate --new-per-day`), and
    `list --leeches` in a pipe writes the lapses between id and question: each row names
    every option of its commands but the shared ones (`--decks`, `--db`, `--today`), and
    every option a row names exists."""
    import typer.main

    group = typer.main.get_command(app)
    shared = {"--decks", "--db", "--today", "--help"}
    table = README[README.index("## Commands") : README.index("Options shared by the commands")]
    rows = [line for line in table.splitlines() if line.startswith("| `dlcards ")]
    assert len(rows) > 20
    named_commands = set()
    for row in rows:
        cell = row.split(" | ")[0]
        commands = []
        for usage in re.findall(r"`(dlcards [^`]*)`", cell):
            words = usage.split()[1:]
            cmd = group.get_command(None, words[0])  # type: ignore[attr-defined]
            assert cmd is not None, usage
            path = [words[0]]
            sub = getattr(cmd, "commands", None)
            if sub:
                cmd = sub[words[1]]
                path.append(words[1])
            commands.append(cmd)
            named_commands.add(" ".join(path))
        said = set(re.findall(r"(?<![\w-])--?[a-z][a-z-]*", cell))
        have: set[str] = set()
        for cmd in commands:
            for param in cmd.params:
                names = set(param.opts) | set(param.secondary_opts)
                have |= names
                if names.isdisjoint(shared) and any(n.startswith("--") for n in names):
                    assert names & said, (cell, names)  # named, long or short (`-n N`)
        assert said <= have, (cell, said - have)
    assert "list" in named_commands and "export text" in named_commands


def test_the_json_keys_the_readme_names_are_the_outputs() -> None:
    """`topics`, `list` and `search` print JSON the README's "JSON output" did not describe:
    the keys it names now are each one's, as printed."""
    import json

    text = re.sub(r"\s+", " ", README)

    def keys(pattern: str) -> list[str]:
        found = re.search(pattern, text)
        assert found, pattern
        return [k.strip() for k in found.group(1).split(",")]

    runner = CliRunner()
    topics = json.loads(runner.invoke(app, ["topics", "--json"]).output)
    assert list(topics[0]) == keys(r"`dlcards topics --json`: `\[\{([^}]*)\}\]`")
    listed = json.loads(runner.invoke(app, ["list", "--json", "--topic", "gd"]).output)
    assert list(listed[0]) == keys(r"`dlcards list --json`: `\[\{([^}]*)\}\]`")
    found = json.loads(runner.invoke(app, ["search", "sigmoid", "--json"]).output)
    assert list(found) == ["query", "total", "cards"]
    said = keys(r"`dlcards search QUERY --json`: .*?cards: \[\{([^}]*)\}")
    assert list(found["cards"][0]) == said


def _named(text: str, start: str) -> list[str]:
    """The keys the README names in the first `{...}` or `[{...}]` after `start`, at its outer
    level: `{a, b: {c}, d: [{e}]}` names a, b and d."""
    at = text.index("{", text.index(start) + len(start)) + 1
    depth, items, item = 0, [], ""
    for ch in text[at:]:
        if ch in "{[":
            depth += 1
        elif ch in "}]":
            if depth == 0:
                break
            depth -= 1
        if ch == "," and depth == 0:
            items.append(item)
            item = ""
        else:
            item += ch
    return [part.split(":")[0].strip() for part in [*items, item]]


def test_the_json_of_show_due_stats_and_calc_is_as_the_readme_names_it() -> None:
    """`stats --json` printed `scheduler`, `recall`, `heatmap`, `true_retention` and
    `histograms`, and its leeches a `topic` and `suspended`, that the README's "JSON output"
    did not name, and `show --json`'s `fsrs` a `parameters`: every key each prints, at each
    level the README describes, is the README's, in the order printed."""
    import json

    text = re.sub(r"\s+", " ", README[README.index("## JSON output") :])
    runner = CliRunner()
    args = ["--today", "2026-11-26"]
    studied = runner.invoke(app, ["study", *args], input="\n5\nq\n")
    assert studied.exit_code == 0, studied.output
    for key, value in (("leech_threshold", "1"), ("leech_action", "tag")):
        assert runner.invoke(app, ["config", key, value]).exit_code == 0
    later = ["--today", "2026-11-27"]
    again = runner.invoke(app, ["study", *later], input="\n1\nq\n")
    assert again.exit_code == 0, again.output

    shown = json.loads(runner.invoke(app, ["show", "perceptron-1", "--json", *later]).output)
    said = [k.strip("`") for k in re.findall(r"`\w+`", text[: text.index(" and `state`: ")])]
    assert list(shown) == [*said, "state"]
    assert list(shown["state"]) == _named(text, "`state`:")
    assert list(shown["state"]["sm2"]) == _named(text, "`sm2` is")
    assert list(shown["state"]["fsrs"]) == _named(text, "`fsrs` is")

    due = json.loads(runner.invoke(app, ["due", "--json", *later]).output)
    assert list(due) == _named(text, "`dlcards due --json`:")
    assert list(due["topics"][0]) == _named(text, "topics: [")

    stats = json.loads(runner.invoke(app, ["stats", "--json", *later]).output)
    start = "`dlcards stats --json`:"
    assert list(stats) == _named(text, start)
    section = text[text.index(start) :]
    for key in ("cards", "reviews", "retention", "passed", "recall", "heatmap", "true_retention"):
        assert list(stats[key]) == _named(section, f" {key}:"), key
    assert stats["leeches"] and list(stats["leeches"][0]) == _named(section, "leeches: [")
    assert list(stats["forecast"][0]) == _named(section, "forecast: [")
    assert list(stats["histograms"]) == ["interval", "ease"]

    calc = json.loads(runner.invoke(app, ["calc", "relu", "z=1", "--json"]).output)
    assert list(calc) == _named(text, "`dlcards calc NAME ... --json`:")


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def test_the_simulation_figures_are_what_simulate_prints() -> None:
    """The README's `dlcards simulate --seed 1` table and its retention comparison are runs of
    the command: each figure is the one `--json` gives now (a change to the simulator that
    moves them must move the README with it)."""
    import json

    runner = CliRunner()

    def run(*args: str) -> dict[str, dict[str, float]]:
        result = runner.invoke(app, ["simulate", "--seed", "1", "--json", *args])
        assert result.exit_code == 0, result.output
        return json.loads(result.output)["schedulers"]  # type: ignore[no-any-return]

    rows = re.findall(r"^\| (fsrs|hlr) learner, (SM-2|FSRS @ 0\.90) \| (.*) \|$", README, re.M)
    assert len(rows) == 4
    for learner, scheduler, cells in rows:
        got = run("--learner", learner)["sm2" if scheduler == "SM-2" else "fsrs"]
        total, recall, known, per_known = (_number(c) for c in cells.split(" | "))
        assert total == got["total_reviews"]
        assert recall == round(got["mean_true_recall_at_review"], 3)
        assert known == got["known_at_end"]
        assert per_known == round(got["reviews_per_known"], 1)
    text = re.sub(r"\s+", " ", README)
    said = re.search(
        r"`--retention 0\.8` vs `0\.95`: ([\d,]+) vs ([\d,]+) reviews, (\d+) vs (\d+) known", text
    )
    assert said
    low, high = (run("--retention", r, "--schedulers", "fsrs")["fsrs"] for r in ("0.8", "0.95"))
    assert [_number(n) for n in said.groups()] == [
        low["total_reviews"],
        high["total_reviews"],
        low["known_at_end"],
        high["known_at_end"],
    ]


def test_the_counts_the_readme_gives_are_the_decks_and_the_engine() -> None:
    """The math cards, the computations `calc --list` lists, the quiz templates and the cards
    the search example finds, as the README counts them."""
    import json

    from dlcards.engine import REGISTRY

    cards = load_catalog(use_cache=False).cards
    text = re.sub(r"\s+", " ", README)
    said = {
        "math": r"(\d+) cards are tagged `math` and carry `compute:` blocks",
        "computations": r"`dlcards calc --list` lists the (\d+) computations",
        "quiz": r"has a `quiz:` template \((\d+) cards\)",
        "search": r"`dlcards search sigmoid -tanh tag:math` \((\d+) of the built-in cards\)",
    }
    found = {key: re.search(pattern, text) for key, pattern in said.items()}
    assert all(found.values()), found
    counts = {key: int(match.group(1)) for key, match in found.items() if match}
    assert counts["math"] == sum("math" in c.tags for c in cards)
    assert counts["math"] == sum(1 for c in cards if c.compute)
    assert counts["computations"] == len(REGISTRY)
    listed = json.loads(CliRunner().invoke(app, ["calc", "--list", "--json"]).output)
    assert counts["computations"] == len(listed)
    assert counts["quiz"] == sum(1 for c in cards if c.quiz)
    # the console script puts the words after `--` (`quick.words_apart`): `-tanh` is a word
    query = ["--", "sigmoid", "-tanh", "tag:math"]
    result = CliRunner().invoke(app, ["search", "--json", *query])
    assert json.loads(result.output)["total"] == counts["search"]


def test_the_config_row_gives_each_settings_range_and_default() -> None:
    """The README's `config` row gave no range for `new_per_day`, `reviews_per_day` or
    `leech_threshold` (a value outside one is refused), nor `leech_action`'s default: each
    setting it names is listed with what `dlcards config KEY VALUE` accepts, its ends and no
    further, and its default as `dlcards config` shows it."""
    from dlcards.settings import BY_KEY, SettingError

    table = README[README.index("## Commands") : README.index("Options shared by the commands")]
    row = next(line for line in table.splitlines() if line.startswith("| `dlcards config "))
    said = dict(re.findall(r"`([a-z_]+)` \(([^)]*)\)", row))
    assert set(said) == set(BY_KEY), set(BY_KEY) ^ set(said)

    def accepts(key: str, text: str) -> bool:
        try:
            BY_KEY[key].parse(text)
        except SettingError:
            return False
        return True

    for key, words in said.items():
        span = re.search(r"(\d[\d,.]*)–(\d[\d,.]*)", words)
        default = re.search(r"default (\S+?)(?:[ ,]|$)", words)
        named = re.findall(r"`([a-z0-9]+)`", words)
        if span:
            low, high = (s.replace(",", "") for s in span.groups())
            step = "0.01" if "." in low else "1"
            below = f"{float(low) - float(step):.2f}" if "." in low else str(int(low) - 1)
            above = f"{float(high) + float(step):.2f}" if "." in high else str(int(high) + 1)
            assert accepts(key, low) and accepts(key, high), (key, words)
            assert not accepts(key, below) and not accepts(key, above), (key, words)
        elif key != "fsrs_parameters":
            assert named, (key, words)  # a choice of words: each is accepted
            assert all(accepts(key, word) for word in named), (key, words)
        chosen = re.search(r"`(\w+)`, the default", words)
        assert default or chosen or key == "fsrs_parameters", (key, words)
        if chosen:
            assert chosen.group(1) == BY_KEY[key].default, (key, words)
        if default:
            shown = default.group(1).replace(",", "")
            stored = BY_KEY[key].default
            assert float(shown) == float(stored), (key, shown, stored)


def test_the_figures_quoted_from_the_speed_run_are_its_table() -> None:
    """Prose outside "Speed" quoted older runs on a machine half as fast: `due --count` "about
    24 ms" (the table: 17 ms), 100,000 Anki answers merged "in about 10 s" (657 ms), a switch
    to FSRS in 2.2 s (1.63 s), a backup of 64 MB of a 219 MB file (113 of 364). Each figure
    said to be "in the run under "Speed"" is now that run's, on the row that measures it."""
    speed = README[README.index("## Speed") : README.index("## Your progress")]
    found = re.search(r"```text\n(.*?)```", speed, re.S)
    assert found
    lines = found.group(1).splitlines()
    text = re.sub(r"\s+", " ", README[: README.index("## Speed")])
    text += " " + re.sub(r"\s+", " ", README[README.index("## Your progress") :])
    quoted = {
        "dlcards due --count": r"\((\d+ ms) in the run under \"Speed\", 0\.",
        "config scheduler fsrs": r"that change; ([\d.]+ s) in the run under \"Speed\"\)",
        "import the review log": r"reading aside, took (\d+ ms) in the run under \"Speed\"\)",
        "daily full check + verified backup": r"verified backup took ([\d.]+ s) in the run under",
    }
    for label, pattern in quoted.items():
        said = re.search(pattern, text)
        assert said, pattern
        row = next(line for line in lines if line.startswith(label))
        assert f" {said[1]} " in f" {row} ", (said[1], row)
    footer = next(line for line in lines if line.startswith("100,000 cards: 4"))
    sizes = re.search(r"database ([\d.]+) MB, one backup ([\d.]+) MB", footer)
    assert sizes
    database, one = round(float(sizes[1])), round(float(sizes[2]))
    assert f"a {database} MB file today" in text
    disk = re.search(
        r"a (\d+) MB database in the run under \"Speed\"\): one backup is (\d+) MB, so the "
        r"backups take about ([\d.]+) GB \(24 × (\d+) MB\)",
        text,
    )
    assert disk, "the disk cost of the backups"
    assert (int(disk[1]), int(disk[2]), int(disk[4])) == (database, one, one)
    assert float(disk[3]) == round(24 * one / 1000, 1)


def test_the_deck_keys_the_readme_lists_are_the_loaders() -> None:
    """The README listed a card's keys but not a deck file's: `description`, which the
    loader takes and `import anki --to-yaml` writes, was nowhere. The top-level keys it names
    are the loader's (`deck.DECK_KEYS`), and so are a card's."""
    from dlcards.deck import CARD_KEYS, DECK_KEYS

    text = re.sub(r"\s+", " ", README)
    deck = re.search(r"A deck file has (.*?)\. A deck file with `own_cards: true`", text)
    assert deck, "the deck file's keys"
    said = set(re.findall(r"`([a-z_]+)`", re.sub(r"\([^)]*\)", "", deck[1])))
    assert said == DECK_KEYS, said ^ DECK_KEYS
    card = re.search(r"(`id`, `question` and `answer` are required; .*?) are optional", text)
    assert card
    assert set(re.findall(r"`([a-z_]+)`", card[1])) == set(CARD_KEYS)


def test_every_environment_variable_dlcards_reads_is_in_the_readme() -> None:
    """`DLCARDS_CACHE_DIR` (where the parsed decks are cached) and the XDG base directories
    moved dlcards's files without a word in the README, which named `~/.cache/dlcards/` and
    `~/.local/share/dlcards/` only: every variable the code reads by name is named there."""
    read: set[str] = set()
    for source in (ROOT / "dlcards").rglob("*.py"):
        text = source.read_text(encoding="utf-8")
        read |= set(re.findall(r"environ(?:\.get)?[\[(]\s*\"((?:DLCARDS|XDG)_[A-Z_]+)\"", text))
        read |= set(re.findall(r"_xdg\(\"(XDG_[A-Z_]+)\"", text))
    assert {"DLCARDS_DB", "DLCARDS_CACHE_DIR", "XDG_DATA_HOME"} <= read, read
    assert not {name for name in read if name not in README}, read


def test_the_longest_list_the_readme_gives_is_the_decks() -> None:
    """ "The longest in the decks has 18" counted a quiz template's pool of six probability
    vectors of three (cce-27), of which a question draws one: the longest list a worked
    example shows, in a compute block or a quiz question, is what the README says."""
    from dlcards.engine.params import MAX_ITEMS

    def numbers(value: object) -> int:
        return sum(map(numbers, value)) if isinstance(value, (list, tuple)) else 1

    cards = load_catalog(use_cache=False).cards
    lists = [
        (numbers(value), card.id)
        for card in cards
        for args in [
            *(block.args for block in card.compute),
            *([card.quiz.args] if card.quiz else []),
        ]
        for value in args.values()
        if isinstance(value, (list, tuple))
    ]
    longest = max(lists)
    text = re.sub(r"\s+", " ", README)
    said = re.search(r"the longest list in the decks has (\d+) numbers, ([a-z]+-\d+)'s", text)
    assert said, "the longest list"
    assert (int(said[1]), said[2]) == longest, longest
    assert longest[0] < MAX_ITEMS


def test_show_json_says_which_claim_is_the_sources_mistake() -> None:
    """`show --json` gave robust-i9's `huber(error=100, delta=1)` block as `claim: 10.5` and
    nothing more: the `wrong: true` that makes `check` expect the engine to disagree (it is
    99.5) was left out, so a reader of the JSON took the source's mistake for a stated
    number. Each compute block carries `wrong` and its `label`, as the README names them."""
    import json

    text = re.sub(r"\s+", " ", README[README.index("## JSON output") :])
    named = re.search(r"`compute` \(list of `\{([^}]*)\}`", text)
    assert named
    shown = json.loads(CliRunner().invoke(app, ["show", "robust-i9", "--json"]).output)
    blocks = shown["compute"]
    assert all(list(block) == [k.strip() for k in named[1].split(",")] for block in blocks)
    huber = next(b for b in blocks if b["fn"] == "huber" and b["claim"] == 10.5)
    assert huber["wrong"] is True and huber["label"]
    card = next(c for c in load_catalog(use_cache=False).cards if c.id == "robust-i9")
    assert [b["wrong"] for b in blocks] == [c.wrong for c in card.compute]
