"""`dlcards config [KEY [VALUE]]`: collection settings, kept in the database."""

from __future__ import annotations

from dataclasses import dataclass

import typer

from dlcards.commands.common import DbOption, opened_store
from dlcards.errors import UsageError


@dataclass(frozen=True)
class Setting:
    key: str
    default: str
    meaning: str


SETTINGS = (
    Setting("scheduler", "sm2", "sm2 (SuperMemo 2, the default) or fsrs (FSRS-6, py-fsrs)"),
    Setting("desired_retention", "0.9", "FSRS's target probability of recall, 0.70 to 0.99"),
    Setting("new_per_day", "20", "new cards introduced per day, across sessions"),
)


def _setting(key: str) -> Setting:
    for s in SETTINGS:
        if s.key == key.replace("-", "_"):
            return s
    raise UsageError(f"unknown setting '{key}'; settings are: {', '.join(s.key for s in SETTINGS)}")


def _validate(key: str, value: str) -> str:
    value = value.strip()
    if key == "scheduler":
        if value not in ("sm2", "fsrs"):
            raise UsageError(f"scheduler must be sm2 or fsrs, not '{value}'")
        return value
    if key == "desired_retention":
        try:
            number = float(value)
        except ValueError:
            raise UsageError(
                f"desired_retention must be a number like 0.9, not '{value}'"
            ) from None
        if not 0.70 <= number <= 0.99:
            raise UsageError(f"desired_retention must be between 0.70 and 0.99, not {value}")
        return repr(number)
    if key == "new_per_day":
        if not value.isdigit():
            raise UsageError(f"new_per_day must be a whole number ≥ 0, not '{value}'")
        return str(int(value))
    raise UsageError(f"unknown setting '{key}'")  # pragma: no cover - _setting checked it


def config(
    key: str | None = typer.Argument(None, help="Setting to show or change."),
    value: str | None = typer.Argument(None, help="New value."),
    db: str | None = DbOption,
) -> None:
    """Show or change settings: scheduler, desired_retention, new_per_day."""
    from dlcards.console import out

    console = out()
    if key is not None:
        setting = _setting(key)
        if value is not None:
            clean = _validate(setting.key, value)
    with opened_store(db) as store:
        stored = store.settings()
        if key is None:
            from rich.table import Table

            table = Table(box=None, header_style="bold", pad_edge=False)
            table.add_column("setting", style="cyan")
            table.add_column("value", style="bold")
            table.add_column("meaning", style="dim")
            for s in SETTINGS:
                table.add_row(s.key, stored.get(s.key, s.default), s.meaning)
            console.print(table)
            return
        if value is None:
            console.print(stored.get(setting.key, setting.default))
            return
        if setting.key == "scheduler":
            replayed = store.set_scheduler(clean)
            if clean == "fsrs":
                console.print(
                    f"scheduler: fsrs (desired retention {store.retention:g}); "
                    f"{replayed} cards' FSRS state rebuilt from their full review history"
                )
            else:
                console.print("scheduler: sm2; SM-2 continues from each card's current state")
        elif setting.key == "desired_retention" and store.scheduler == "fsrs":
            replayed = store.set_scheduler("fsrs", float(clean))
            console.print(f"desired_retention: {clean}; {replayed} cards rescheduled")
        else:
            store.set_meta(setting.key, clean)
            console.print(f"{setting.key}: {clean}")
