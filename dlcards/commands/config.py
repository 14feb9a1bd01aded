"""`dlcards config [KEY [VALUE]]`: collection settings, kept in the database.

The settings, their defaults and bounds live in `dlcards.settings`; this command shows and
changes them. Switching to FSRS (or changing its retention while it is active) rebuilds every
card's FSRS state from the review log, written with the setting in one transaction
(`Store.change_setting`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from dlcards.commands.common import opened_store, replay_for
from dlcards.commands.options import DbOption

if TYPE_CHECKING:
    from dlcards.settings import Setting
    from dlcards.store import Store


MEANING_MIN = 30  # columns: a narrower column of meanings is stacked under its setting


def change(store: Store, key: str, value: str) -> tuple[str, int | None]:
    """Set a setting; returns its stored text and, when FSRS was switched on or its retention
    or parameters changed while on, how many cards' state was rebuilt from the log (else
    None)."""
    from dlcards.settings import setting

    chosen = setting(key)
    clean = chosen.check(value)
    return clean, store.change_setting(chosen.key, clean, replay_for)


def config(
    key: str | None = typer.Argument(None, help="Setting to show or change.", metavar="[KEY]"),
    value: str | None = typer.Argument(None, help="New value.", metavar="[VALUE]"),
    db: str | None = DbOption,
) -> None:
    """Show or change settings: scheduler, desired_retention, new_per_day, reviews_per_day,
    leech_threshold, leech_action, day_starts_at, fsrs_parameters."""
    from dlcards.console import echo, out, plural
    from dlcards.errors import UsageError
    from dlcards.settings import SETTINGS, setting

    for word in (key, value):  # unknown options come through as words (`-5` is a value)
        if word is not None and word.startswith("--") and len(word) > 2:
            from dlcards.usage import unknown_option_here

            raise UsageError(unknown_option_here(word))

    console = out()
    chosen = setting(key) if key is not None else None
    clean = chosen.check(value) if chosen is not None and value is not None else None
    from dlcards.terminal import saved_once_committed, stops_as_ctrl_c

    # `kill` or a closed terminal ends it as Ctrl-C does: a rebuild under way rolled back,
    # the database closed (it died as SIGKILL would: exit -15, its -wal left beside the file);
    # a change says in one line whether it was made (it ended with exit 143 and not a word,
    # the setting changed or not); showing the settings ends as a killed `ls` does
    unsaved = None
    if chosen is not None and clean is not None:
        unsaved = f"stopped: {chosen.key} was not changed"
    with stops_as_ctrl_c(unsaved=unsaved), opened_store(db) as store:
        stored = store.stored_settings()
        if chosen is None:
            from rich.table import Table

            rows = []
            for s in SETTINGS:
                shown = s.shown(stored.get(s.key, s.default))
                if s.key == "fsrs_parameters" and shown != "default":
                    shown = "fitted"  # 21 numbers: `dlcards config fsrs_parameters` prints them
                rows.append((s.key, shown, s.meaning))
            key_w = max(len(k) for k, _, _ in rows)
            value_w = max(len("value"), *(len(v) for _, v, _ in rows))
            if console.width - key_w - value_w - 4 < MEANING_MIN:
                # too narrow for a column of meanings (at 30 columns a letter a line): each
                # setting and its value, its meaning under it
                from rich.text import Text

                from dlcards.console import glued

                room = console.width - 2
                for k, v, meaning in rows:
                    console.print(Text.assemble((k, "cyan"), "  ", (v, "bold")))
                    # glued: a command to type stays on one line (at 40 columns `dlcards` ended
                    # one and `optimize` began the next, as the table's cells never do)
                    for line in glued(Text(meaning, style="dim"), room).wrap(console, room):
                        line.rstrip()
                        console.print(Text("  ") + line)
                return
            table = Table(box=None, header_style="bold", pad_edge=False)
            table.add_column("setting", style="cyan", no_wrap=True)
            table.add_column("value", style="bold", no_wrap=True)
            table.add_column("meaning", style="dim")
            for row in rows:
                table.add_row(*row)
            console.print(table)
            return
        if clean is None:
            echo(chosen.shown(stored.get(chosen.key, chosen.default)))
            return
        picked, asked = chosen, clean
        clean, rebuilt = saved_once_committed(
            lambda: change(store, picked.key, asked),
            lambda done: _stopped_changed(picked, *done),
        )
        clean = chosen.shown(clean)
        if rebuilt is not None:
            retention = store.settings().desired_retention
            echo(
                f"{chosen.key}: {clean}; FSRS (desired retention {retention:g}) "
                f"rebuilt the state of {plural(rebuilt, 'card')} from the review history"
            )
        elif chosen.key == "scheduler" and clean == "sm2":
            echo("scheduler: sm2; SM-2 continues from each card's current state")
        else:
            echo(f"{chosen.key}: {clean}")


def _stopped_changed(chosen: Setting, clean: str, rebuilt: int | None) -> str:
    """The line of a `config KEY VALUE` stopped once its change was saved."""
    from dlcards.console import plural

    rebuilt_words = (
        "" if rebuilt is None else f"; FSRS rebuilt the state of {plural(rebuilt, 'card')}"
    )
    return f"stopped: {chosen.key} set to {chosen.shown(clean)} (saved{rebuilt_words})"


# A value such as "-5" is an argument to check, not an unknown option.
config.context_settings = {"ignore_unknown_options": True}  # type: ignore[attr-defined]
