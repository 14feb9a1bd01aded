"""The one spelling of a typed number's digits, for `calc` arguments and typed quiz answers.

Text is NFKC-normalised first (a full-width `１２３`, as an East Asian input method types it,
is `123`), then its digits must be ASCII (0-9), and an underscore between two digits groups
them as Python writes it (`1_000`). `calc` took `1_000`, `١٢٣` (Arabic-Indic) and `１２３`
through Python's float(), which reads every Unicode digit; the quiz refused `1_000` and took
Arabic-Indic digits through its regular expressions' `\\d`: the same number was a number in one
and not in the other. Pure, no I/O.
"""

from __future__ import annotations

import re
import unicodedata

_GROUPING = re.compile(r"(?<=[0-9])_(?=[0-9])")


class NotAsciiDigits(ValueError):
    """The text has a digit that is not 0-9 (once NFKC-normalised)."""


def ascii_number(text: str) -> str:
    """`text` NFKC-normalised, with its `_` digit groupings taken out; NotAsciiDigits if a
    digit of another script is left (`١٢٣`). What is left is for the caller's own parse."""
    normal = unicodedata.normalize("NFKC", text)
    if any(c.isdigit() and not "0" <= c <= "9" for c in normal):
        raise NotAsciiDigits(text)
    return _GROUPING.sub("", normal)


DIGITS_LINE = "write it with the digits 0-9"
"""What a message says to do about a number written with another script's digits."""
