"""The collection's settings: one home for their names, defaults, bounds and parsing (pure).

Settings are kept as text in the database's `meta` table; `Settings.from_stored` turns that text
into checked values. A stored value that is out of range or unreadable (an older version, a
hand edit) is reported with one line naming the setting, never crashed on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from dlcards.errors import UsageError

SCHEDULERS = ("sm2", "fsrs")
RETENTION_MIN, RETENTION_MAX = 0.70, 0.99
DEFAULT_RETENTION = 0.90
NEW_PER_DAY_MAX = 9999
REVIEWS_MAX = 1_000_000


class SettingError(UsageError):
    """A value is not valid for a setting."""


def _scheduler(text: str) -> str:
    value = text.strip().lower()
    if value not in SCHEDULERS:
        raise SettingError(f"scheduler must be sm2 or fsrs, not '{text}'")
    return value


def _retention(text: str) -> float:
    try:
        number = float(text.strip())
    except ValueError:
        raise SettingError(f"desired_retention must be a number like 0.9, not '{text}'") from None
    if not RETENTION_MIN <= number <= RETENTION_MAX:
        raise SettingError(
            f"desired_retention must be between {RETENTION_MIN:.2f} and {RETENTION_MAX:.2f}, "
            f"not {text.strip()}"
        )
    return number


def _count(key: str, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        value = text.strip()
        digits = value[1:] if value.startswith(("-", "+")) else value
        if not digits.isdigit() or len(digits) > 12:
            raise SettingError(f"{key} must be a whole number from 0 to {high}, not '{text}'")
        number = int(value)
        if not 0 <= number <= high:
            raise SettingError(f"{key} must be from 0 to {high}, not {number}")
        return number

    return parse


@dataclass(frozen=True)
class Setting:
    key: str
    default: str
    meaning: str
    parse: Callable[[str], object]

    def check(self, text: str) -> str:
        """The canonical text to store for `text`; SettingError if it is not valid."""
        value = self.parse(text)
        return repr(value) if isinstance(value, float) else str(value)


SETTINGS: tuple[Setting, ...] = (
    Setting("scheduler", "sm2", "sm2 (SuperMemo 2, the default) or fsrs (FSRS-6)", _scheduler),
    Setting(
        "desired_retention",
        repr(DEFAULT_RETENTION),
        f"FSRS's target probability of recall, {RETENTION_MIN:.2f} to {RETENTION_MAX:.2f}",
        _retention,
    ),
    Setting(
        "new_per_day",
        "20",
        f"new cards introduced per day, across sessions (0 to {NEW_PER_DAY_MAX})",
        _count("new_per_day", NEW_PER_DAY_MAX),
    ),
)
BY_KEY = {s.key: s for s in SETTINGS}


def setting(key: str) -> Setting:
    found = BY_KEY.get(key.strip().replace("-", "_"))
    if found is None:
        from dlcards.suggest import did_you_mean

        raise SettingError(
            f"unknown setting '{key}'{did_you_mean(key, BY_KEY)}; settings are: {', '.join(BY_KEY)}"
        )
    return found


@dataclass(frozen=True)
class Settings:
    scheduler: str = "sm2"
    desired_retention: float = DEFAULT_RETENTION
    new_per_day: int = 20

    @classmethod
    def from_stored(cls, stored: Mapping[str, str], where: str = "the database") -> Settings:
        """Checked settings from the stored text; a bad stored value is one clear line."""
        values: dict[str, object] = {}
        for s in SETTINGS:
            text = stored.get(s.key)
            if text is None:
                continue
            try:
                values[s.key] = s.parse(text)
            except SettingError as err:
                raise SettingError(
                    f"{where} holds a bad value for setting {s.key}: {err}; "
                    f"fix it with `dlcards config {s.key} VALUE`"
                ) from None
        return cls(**values)  # type: ignore[arg-type]
