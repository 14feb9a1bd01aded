"""The collection's settings: one home for their names, defaults, bounds and parsing (pure).

Settings are kept as text in the database's `meta` table; `Settings.from_stored` turns that text
into checked values. A stored value that is out of range or unreadable (an older version, a
hand edit) is reported with one line naming the setting, never crashed on.
"""

from __future__ import annotations

from dlcards.errors import UsageError, quoted

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

# Plain classes, not NamedTuples: `dlcards due --count` reads the settings for a shell prompt
# (`dlcards.store.count`), and `typing` alone costs it about a fifth of its time.

SCHEDULERS = ("sm2", "fsrs")
RETENTION_MIN, RETENTION_MAX = 0.70, 0.99
DEFAULT_RETENTION = 0.90
NEW_PER_DAY_MAX = 9999
REVIEWS_MAX = 1_000_000
REVIEWS_PER_DAY = 200  # Anki's default maximum reviews a day
LEECH_THRESHOLD = 8  # Anki's default
LEECH_THRESHOLD_MAX = 999
LEECH_ACTIONS = ("suspend", "tag")
LEECH_TAG = "leech"
"""The tag Anki gives a leech's note (its only mark of one, whichever the leech action)."""
DAY_STARTS_AT = 4  # Anki's default "next day starts at": 4 AM local time
DEFAULT_FSRS_PARAMETERS: tuple[float, ...] = (
    0.212, 1.2931, 2.3065, 8.2956, 6.4133, 0.8334, 3.0194, 0.001, 1.8722, 0.1666, 0.796,
    1.4835, 0.0614, 0.2629, 1.6483, 0.6014, 1.8729, 0.5425, 0.0912, 0.0658, 0.1542,
)  # fmt: skip
"""py-fsrs 6.x DEFAULT_PARAMETERS (FSRS-6, 21 weights; w[20] is the forgetting-curve decay).
A test checks this copy against py-fsrs, so code that needs only the curve need not import it."""
FSRS_BOUNDS: tuple[tuple[float, float], ...] = tuple(zip(  # noqa: B905 - equal lengths
    (0.001, 0.001, 0.001, 0.001, 1.0, 0.001, 0.001, 0.001, 0.0, 0.0, 0.001, 0.001, 0.001, 0.001,
     0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.1),
    (100.0, 100.0, 100.0, 100.0, 10.0, 4.0, 4.0, 0.75, 4.5, 0.8, 3.5, 5.0, 0.25, 0.9, 4.0, 1.0,
     6.0, 2.0, 2.0, 0.8, 0.8),
))  # fmt: skip
"""py-fsrs 6.x's LOWER_ and UPPER_BOUNDS_PARAMETERS (a test compares them), so a bad stored
value is refused with one line before py-fsrs would raise."""


class SettingError(UsageError):
    """A value is not valid for a setting."""


def _scheduler(text: str) -> str:
    value = text.strip().lower()
    if value not in SCHEDULERS:
        raise SettingError(f"scheduler must be sm2 or fsrs, not {quoted(text)}")
    return value


def _retention(text: str) -> float:
    try:
        number = float(text.strip())
    except ValueError:
        raise SettingError(
            f"desired_retention must be a number like 0.9, not {quoted(text)}"
        ) from None
    if not RETENTION_MIN <= number <= RETENTION_MAX:
        raise SettingError(
            f"desired_retention must be between {RETENTION_MIN:.2f} and {RETENTION_MAX:.2f}, "
            f"not {text.strip()}"
        )
    return number


def _count(key: str, high: int, low: int = 0) -> Callable[[str], int]:
    """A whole-number setting's parse: its digits as `calc` and the quiz read a number's
    (`numerals.ascii_number`: full-width digits as 0-9, `1_000`; another script's digits
    refused, saying so), and a comma grouping thousands as the quiz takes one (`1,000`), the
    way the setting's own range is written (`from 0 to 1,000,000`, which `config` refused to
    read back)."""

    def parse(text: str) -> int:
        from dlcards.console import bound

        span = f"from {bound(low)} to {bound(high)}"
        value = text.strip()
        if not value.isascii() or "_" in value:  # (a stored value, read by the prompt's
            # count, is plain digits: it imports no `re`)
            from dlcards.numerals import DIGITS_LINE, NotAsciiDigits, ascii_number

            try:
                value = ascii_number(value)
            except NotAsciiDigits:
                raise SettingError(
                    f"{key} must be a whole number {span}, not {quoted(text)}: {DIGITS_LINE}"
                ) from None
        sign = value[:1] if value[:1] in ("-", "+") else ""
        digits = value[len(sign) :]
        if _grouped(digits):
            digits = digits.replace(",", "")
        if not (digits.isascii() and digits.isdigit()) or len(digits) > 12:
            raise SettingError(f"{key} must be a whole number {span}, not {quoted(text)}")
        number = int(sign + digits)
        if not low <= number <= high:
            raise SettingError(f"{key} must be {span}, not {number}")
        return number

    return parse


def _grouped(digits: str) -> bool:
    """Whether `digits` are grouped by thousands with commas, and rightly (`1,000`, `12,345`;
    not `1,00` or `,100`)."""
    head, *groups = digits.split(",")
    whole = head + "".join(groups)
    return (
        bool(groups)
        and 1 <= len(head) <= 3
        and all(len(g) == 3 for g in groups)
        and whole.isascii()
        and whole.isdigit()
    )


def _reviews_per_day(text: str) -> int:
    if text.strip().lower() in ("unlimited", "none", "off"):
        return REVIEWS_MAX
    try:
        return _count("reviews_per_day", REVIEWS_MAX)(text)
    except SettingError as err:
        raise SettingError(f"{err}; or `unlimited` for no cap") from None


def _reviews_per_day_shown(stored: str) -> str:
    """`unlimited` for the number it is stored as (or more), so that number is never shown."""
    value = stored.strip()
    return "unlimited" if value.isdigit() and int(value) >= REVIEWS_MAX else value


def _leech_threshold(text: str) -> int:
    return _count("leech_threshold", LEECH_THRESHOLD_MAX, low=1)(text)


def _leech_action(text: str) -> str:
    value = text.strip().lower()
    if value not in LEECH_ACTIONS:
        raise SettingError(f"leech_action must be suspend or tag, not {quoted(text)}")
    return value


def _fsrs_parameters(text: str) -> tuple[float, ...]:
    """`default`, or the 21 FSRS-6 weights separated by commas (as `dlcards optimize` writes)."""
    import math

    value = text.strip()
    if value.lower() in ("default", ""):
        return DEFAULT_FSRS_PARAMETERS
    # one pair of brackets around the list, as Python or JSON prints it; `strip("[]()")` took
    # any number, so `[]`, `[[[` or `((` set the defaults and said so, exit 0 (round 18)
    if value[:1] + value[-1:] in ("[]", "()"):
        value = value[1:-1].strip()
        if not value:
            raise SettingError(
                f"fsrs_parameters: {quoted(text)} holds no numbers; give 'default' or "
                f"{len(DEFAULT_FSRS_PARAMETERS)} numbers separated by commas"
            )
    # the fields as written: commas separate them (an empty one is a missing value, not a
    # shorter list); without commas, spaces do
    fields = [x.strip() for x in value.split(",")] if "," in value else value.split()
    want = len(DEFAULT_FSRS_PARAMETERS)
    numbers_list: list[float] = []
    for i, field in enumerate(fields):
        try:
            number = float(field)
        except ValueError:
            shown = f"'{field[:20]}'" if field else "empty"
            raise SettingError(
                f"fsrs_parameters: w[{i}] is {shown}, not a number; give 'default' or "
                f"{want} numbers separated by commas"
            ) from None
        if not math.isfinite(number):
            raise SettingError(f"fsrs_parameters: w[{i}] = {field} is not a finite number")
        numbers_list.append(number)
    numbers = tuple(numbers_list)
    if len(numbers) != want:
        raise SettingError(
            f"fsrs_parameters must be {want} numbers (FSRS-6), not {len(numbers)}; "
            "`dlcards optimize` fits them, `default` restores FSRS's own"
        )
    for i, (w, (low, high)) in enumerate(zip(numbers, FSRS_BOUNDS, strict=True)):
        if not low <= w <= high:
            raise SettingError(
                f"fsrs_parameters: w[{i}] = {w:g} is outside FSRS-6's range {low:g} to {high:g}"
            )
    return numbers


def parameters_text(parameters: tuple[float, ...]) -> str:
    """How fsrs_parameters are stored: `default`, or the weights rounded to 4 decimals."""
    if tuple(parameters) == DEFAULT_FSRS_PARAMETERS:
        return "default"
    return ",".join(f"{w:.4f}" for w in parameters)


class Setting:
    """One setting: its key, its default (as stored), what it means, its parser, and how a
    stored value is shown (a sentinel number as the word that set it)."""

    __slots__ = ("default", "human", "key", "meaning", "parse")

    def __init__(
        self,
        key: str,
        default: str,
        meaning: str,
        parse: Callable[[str], object],
        human: Callable[[str], str] | None = None,
    ) -> None:
        self.key, self.default, self.meaning, self.parse = key, default, meaning, parse
        self.human = human

    def __repr__(self) -> str:
        return f"Setting({self.key!r}, {self.default!r})"

    def check(self, text: str) -> str:
        """The canonical text to store for `text`; SettingError if it is not valid."""
        value = self.parse(text)
        if isinstance(value, tuple):
            return parameters_text(value)
        return repr(value) if isinstance(value, float) else str(value)

    def shown(self, stored: str) -> str:
        """How a stored value is shown to a user: `unlimited`, never the number it is kept as.
        Every place that shows a setting's value asks this."""
        return self.human(stored) if self.human is not None else stored


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
    Setting(
        "reviews_per_day",
        str(REVIEWS_PER_DAY),
        "due reviews a day, most overdue first; new cards stop when it is reached "
        "(Anki's default 200; `unlimited` for no cap)",
        _reviews_per_day,
        _reviews_per_day_shown,
    ),
    Setting(
        "leech_threshold",
        str(LEECH_THRESHOLD),
        "lapses that make a card a leech, and again every half of it past it (at the default "
        "8: 8, 12, 16...)",
        _leech_threshold,
    ),
    Setting(
        "leech_action",
        "suspend",
        "what a leech does: suspend (the default; Anki's is tag) or tag (marked, kept in study)",
        _leech_action,
    ),
    Setting(
        "day_starts_at",
        str(DAY_STARTS_AT),
        "the hour (0 to 23, local time) a new study day starts, as Anki's 'next day starts "
        "at': at the default 4, a session after midnight counts with the evening before",
        _count("day_starts_at", 23),
    ),
    Setting(
        "fsrs_parameters",
        "default",
        "FSRS-6's 21 weights: `default`, or fitted to your reviews by `dlcards optimize`",
        _fsrs_parameters,
    ),
)
BY_KEY = {s.key: s for s in SETTINGS}


def setting(key: str) -> Setting:
    found = BY_KEY.get(key.strip().replace("-", "_"))
    if found is None:
        from dlcards.suggest import did_you_mean

        raise SettingError(
            f"unknown setting {quoted(key)}{did_you_mean(key, BY_KEY)}; "
            f"settings are: {', '.join(BY_KEY)}"
        )
    return found


class Settings:
    """The collection's settings as checked values (immutable)."""

    __slots__ = (
        "day_starts_at",
        "desired_retention",
        "fsrs_parameters",
        "leech_action",
        "leech_threshold",
        "new_per_day",
        "reviews_per_day",
        "scheduler",
    )
    scheduler: str
    desired_retention: float
    new_per_day: int
    reviews_per_day: int
    leech_threshold: int
    leech_action: str
    fsrs_parameters: tuple[float, ...]
    day_starts_at: int

    def __init__(
        self,
        scheduler: str = "sm2",
        desired_retention: float = DEFAULT_RETENTION,
        new_per_day: int = 20,
        reviews_per_day: int = REVIEWS_PER_DAY,
        leech_threshold: int = LEECH_THRESHOLD,
        leech_action: str = "suspend",
        fsrs_parameters: tuple[float, ...] = DEFAULT_FSRS_PARAMETERS,
        day_starts_at: int = DAY_STARTS_AT,
    ) -> None:
        values = (
            scheduler, desired_retention, new_per_day, reviews_per_day, leech_threshold,
            leech_action, tuple(fsrs_parameters), day_starts_at,
        )  # fmt: skip
        for name, value in zip(_FIELDS, values, strict=True):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Settings are read-only: {name}")

    def _values(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in _FIELDS)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Settings) and self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __reduce__(self) -> tuple[type[Settings], tuple[object, ...]]:
        return Settings, self._values()

    def __repr__(self) -> str:
        return "Settings(" + ", ".join(f"{n}={getattr(self, n)!r}" for n in _FIELDS) + ")"

    @property
    def review_cap(self) -> int | None:
        """The daily review cap; None when it is `unlimited`."""
        return None if self.reviews_per_day >= REVIEWS_MAX else self.reviews_per_day

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


_FIELDS = (
    "scheduler",
    "desired_retention",
    "new_per_day",
    "reviews_per_day",
    "leech_threshold",
    "leech_action",
    "fsrs_parameters",
    "day_starts_at",
)


def rebuilds_fsrs(before: Settings, after: Settings) -> bool:
    """Whether changing the settings from `before` to `after` changes the cards' FSRS memories:
    FSRS switched on, or its retention or parameters changed while it is on."""
    return after.scheduler == "fsrs" and (
        before.scheduler != "fsrs"
        or before.desired_retention != after.desired_retention
        or before.fsrs_parameters != after.fsrs_parameters
    )


def leech_marked(tags: tuple[str, ...]) -> tuple[str, ...]:
    """A leech's tags as Anki shows them: its own, then `leech` unless it is one of them
    already (a card from Anki that was a leech there keeps the tag in its deck; a topic may be
    `leech`). What `export anki` gives its note, and `list` shows."""
    return tags if LEECH_TAG in tags else (*tags, LEECH_TAG)
