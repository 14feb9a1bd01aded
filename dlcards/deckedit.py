"""Adding a card to a deck file's text without touching anything else in it (pure).

`dlcards add` shows a one-card YAML template in the editor; `check_template` validates what the
user wrote with the deck loader's own messages (lines counted in the template), and
`append_card` inserts it, with its new id, after the deck's last card: every other byte of the
file (comments, order, quoting, blank lines) stays as it was. The result is parsed again before
anyone writes it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from dlcards.deck import Card, parse_deck
from dlcards.errors import DeckError
from dlcards.yamlload import document_marker

TEMPLATE = """\
# A new card for {topic} ({path}); its id ({topic}-N) is given
# when it is added. Save and close the editor to add it; close it untouched,
# or save an empty file, to cancel. Quote a value that holds ': ' or starts
# with a special character, or use a block (`answer: |`, then indented lines).
question:{sp}
answer:{sp}
tags: []
# Optional: erratum, note, references, source (see the README's deck format).
"""
# (each line within 80 columns, where an editor would wrap it, for a topic and file name of
# common length)
ERROR_MARK = "# error: "
# `{sp}`: the template's values start after a space (an editor's cursor lands after it)
_HEADER = "topic: {topic}\ntitle: new card\ncards:\n- id: {id}\n"
HEADER_LINES = 4


def card_lines(template: str) -> list[str]:
    """The template's lines that are the card: everything but whole-line comments and the
    blank lines around them at the ends. A line of a block or quoted value that starts with
    `#` (a code comment, a Markdown heading in `answer: |`) is the value's text, kept: it was
    dropped as a comment, and the card added without it."""
    every = template.splitlines()
    text = _text_lines(every)
    kept = [
        (i, line) for i, line in enumerate(every) if i in text or not line.lstrip().startswith("#")
    ]
    while kept and not kept[0][1].strip():
        kept.pop(0)
    # blank lines at the end, but a kept block's (`answer: |+`), which are its text
    while kept and not kept[-1][1].strip() and kept[-1][0] not in text:
        kept.pop()
    return [line for _, line in kept]


def _text_lines(lines: list[str]) -> set[int]:
    """The indexes of `lines` (a template's) inside a value over several lines (a block
    scalar's text, a quoted value's further lines), where a `#` is text, not a comment. None
    when the lines are not YAML: the loader's check says what is wrong."""
    import yaml

    try:
        root = yaml.compose(
            "\n".join(lines) + "\n", Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        )
    except yaml.YAMLError:
        return set()
    inside: set[int] = set()
    todo = [root] if root is not None else []
    while todo:
        node = todo.pop()
        if isinstance(node, yaml.ScalarNode):
            first, end = node.start_mark.line, node.end_mark.line
            inside.update(range(first + 1, end + 1 if node.end_mark.column else end))
        elif isinstance(node, yaml.SequenceNode):
            todo.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            todo.extend(v for pair in node.value for v in pair)
    return inside


def is_empty(template: str) -> bool:
    return not card_lines(template)


def check_template(template: str, topic: str, card_id: str, shown: str) -> Card:
    """The card the template describes, validated as the loader validates a deck's card; a
    DeckError names `shown` and the template's own line."""
    body = [
        line for line in template.splitlines() if not line.startswith(ERROR_MARK)
    ]  # earlier errors shown in the file
    # a whole card (`- id: ...`, or `id:`), not its fields: a list item of a field (`- {fn:
    # ...}` under `compute:`, a reference) starts with "- " too, and is fine
    numbered = list(enumerate(body, 1))
    content = [(n, t) for n, t in numbered if t.strip() and not t.lstrip().startswith("#")]
    at = next((n for n, line in numbered if re.match(r"(- +)?id *:", line)), None)
    if at is None and content and content[0][1].startswith("- "):
        at = content[0][0]
    if at is not None:  # the line of the id, or of the dash that starts a whole card
        raise DeckError(f"{shown}:{at}: write one card's fields (question:, answer:, ...), no id")
    for n, line in numbered:  # (PyYAML: "could not find expected ':'", the line after it)
        marker = document_marker(line)
        if marker is not None:
            raise DeckError(f"{shown}:{n}: {marker}")
    text = _HEADER.format(topic=topic, id=card_id) + "".join(f"  {line}\n" for line in body)
    try:
        deck = parse_deck(text, shown)
    except DeckError as err:
        raise DeckError(_shift(str(err), shown)) from None
    card = deck.cards[0]
    check_computations(card, shown, body, 1)
    return card


def check_computations(card: Card, shown: str, lines: list[str], first: int) -> None:
    """Each of the card's computations names one the engine has, with arguments it takes (as
    `dlcards check` would find, said when the card is written); a DeckError names `shown` and
    the line among `lines` (numbered from `first`) that names the computation."""
    from dlcards import engine
    from dlcards.engine.params import bind
    from dlcards.errors import UsageError

    def line_of(fn: str) -> int:
        # the line that names it as a computation (`fn: relu`), not a mention in the text
        named = re.compile(rf"\bfn\s*:\s*['\"]?{re.escape(fn)}\b")
        return next((first + i for i, line in enumerate(lines) if named.search(line)), first)

    for spec in card.compute:
        try:
            bind(engine.get(spec.fn), spec.args)
        except UsageError as err:
            raise DeckError(
                f"{shown}:{line_of(spec.fn)}: card {card.id}: compute {spec.fn}: {err}"
            ) from None
    _check_claims(card, shown, line_of)
    if card.quiz is not None:  # its template drawn as `dlcards check` draws it
        from dlcards.quiz import template_problems

        problems = template_problems(card)
        if problems:
            quiz = re.compile(r"\s*quiz\s*:")
            at = next((first + i for i, line in enumerate(lines) if quiz.match(line)), first)
            raise DeckError(f"{shown}:{at}: card {card.id}: {problems[0]}")


def _check_claims(card: Card, shown: str, line_of: Callable[[str], int]) -> None:
    """Each computation runs, and each claim agrees with the engine (or is marked `wrong:
    true` and the engine contradicts it), as `dlcards check` requires: a card written with a
    claim the engine contradicts failed `check` later, with nothing said when it was written."""
    from dlcards.engine import fmt
    from dlcards.mathcards import evaluate

    for ev in evaluate(card):
        at = f"{shown}:{line_of(ev.compute.fn)}: card {card.id}: {ev.call}"
        if ev.status == "error":
            raise DeckError(f"{at}: {ev.error}")
        if ev.status != "mismatch":
            continue
        assert ev.result is not None and ev.compute.claim is not None
        if ev.compute.wrong:
            raise DeckError(
                f"{at} is marked wrong: true, but the engine agrees with {fmt(ev.compute.claim)}; "
                "remove wrong: true"
            )
        raise DeckError(
            f"{at} gives {ev.result.display}, not the claimed {fmt(ev.compute.claim)}; correct "
            "the claim, or mark it wrong: true with an erratum that says what is right"
        )


def _shift(message: str, shown: str) -> str:
    """Line (and column) numbers of the wrapped template back to the template's own: its
    lines follow HEADER_LINES and are indented by two spaces in the wrapped text."""

    def back(match: re.Match[str]) -> str:
        line = max(1, int(match.group(1)) - HEADER_LINES)
        column = "" if match.group(2) is None else f":{max(1, int(match.group(2)) - 2)}"
        return f"{shown}:{line}{column}"

    def line_back(match: re.Match[str]) -> str:
        return f"at line {max(1, int(match.group(1)) - HEADER_LINES)}"

    message = re.sub(re.escape(shown) + r":(\d+)(?::(\d+))?", back, message, count=1)
    # a syntax error's second place (`yamlload._syntax_error`: a quote or bracket never
    # closed names where it was noticed) is a line of the template too: it named the wrapped
    # text's, HEADER_LINES on
    return re.sub(r"\bat line (\d+)", line_back, message)


def with_error(template: str, message: str) -> str:
    """The template with the last error as a comment at its end (line numbers unchanged)."""
    lines = [line for line in template.splitlines() if not line.startswith(ERROR_MARK)]
    return "\n".join(lines) + f"\n{ERROR_MARK}{message}\n"


def _cards_node(text: str) -> Any:
    import yaml

    root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    if root is None or not hasattr(root, "value") or not isinstance(root.value, list):
        return None
    for key, value in root.value:
        if getattr(key, "value", None) == "cards":
            return value
    return None


def append_card(text: str, template: str, card_id: str, path: str) -> tuple[str, int]:
    """The deck text with the card appended after the last card, and the line it starts on.
    Raises DeckError when the deck's cards are not a block list, or when no place after the
    last card reads back as the deck's cards as they were and the card as the template gives
    it (write those by hand). A kept block (`answer: |+`) holds the blank lines after it: the
    card goes after a last card's such lines, not between the card and its text."""
    try:
        old: tuple[Card, ...] = parse_deck(text, path).cards
    except DeckError:  # a deck just started (`cards:` and nothing yet): the result says
        old = ()
    body = [line for line in template.splitlines() if not line.startswith(ERROR_MARK)]
    tried: list[int] = []
    for after_blank_lines in (False, True):
        result, start = _appended(text, template, card_id, path, after_blank_lines)
        if start in tried:
            continue
        tried.append(start)
        cards = parse_deck(result, path).cards  # the whole deck must still load
        wrapped = _HEADER.format(topic=cards[-1].topic, id=card_id)
        wanted = parse_deck(wrapped + "".join(f"  {line}\n" for line in body), path).cards[0]
        if cards[:-1] == old and _same_card(cards[-1], wanted):
            return result, start
    raise DeckError(
        f"{path}: the card cannot be appended without changing its text or the last card's "
        "(a kept block, `|+`, at the end?); add the card by hand"
    )


def _same_card(card: Card, wanted: Card) -> bool:
    """Whether `card` is `wanted` but for its place (file, line) and topic."""
    return card._replace(file="", line=0, topic="") == wanted._replace(file="", line=0, topic="")


def _appended(
    text: str, template: str, card_id: str, path: str, after_blank_lines: bool
) -> tuple[str, int]:
    """`append_card`'s text and line, the card placed before the blank lines and outer
    comments after the last card (or, `after_blank_lines`, after them)."""
    node = _cards_node(text)
    if node is None:
        raise DeckError(f"{path}: no 'cards:' list found; add the card by hand")
    lines = text.splitlines(keepends=True)
    eol = _line_end(text)
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += eol
    items = getattr(node, "value", None)
    if getattr(node, "flow_style", False) and items:
        raise DeckError(f"{path}:{node.start_mark.line + 1}: the cards are a [flow] list; "
                        "add the card by hand")  # fmt: skip
    if isinstance(items, list) and items:
        last = items[-1]
        # the column of the last card's `-` (`-   id:` puts its fields 4 columns after it)
        dash = lines[last.start_mark.line].rfind("-", 0, last.start_mark.column)
        if dash < 0:  # `-` alone on the line before (`-` then `  id:` under it)
            dash = last.start_mark.column - 2
        end = last.end_mark.line if last.end_mark.column == 0 else last.end_mark.line + 1
        # blank lines and outer comments after the last card stay after the new one
        while (
            not after_blank_lines
            and end > last.start_mark.line + 1
            and (
                not lines[end - 1].strip()
                or (
                    lines[end - 1].lstrip().startswith("#")
                    and len(lines[end - 1]) - len(lines[end - 1].lstrip()) <= dash
                )
            )
        ):
            end -= 1
        # cards separated by blank lines get one before the new card too
        before = last.start_mark.line - 1
        while before > 0 and lines[before].lstrip().startswith("#"):
            before -= 1
        blank = before >= 0 and not lines[before].strip()
    else:  # `cards:` with nothing (or []) after it: the list starts on the next line
        key_line = node.start_mark.line
        if getattr(node, "flow_style", False):
            lines[key_line] = re.sub(r"\[\s*\]", "", lines[key_line], count=1)
        dash, end, blank = 2, key_line + 1, False
    indent = " " * max(0, dash)
    new = ([eol] if blank else []) + [f"{indent}- id: {card_id}{eol}"]
    new += [f"{indent}  {line}{eol}" if line.strip() else eol for line in card_lines(template)]
    result = "".join(lines[:end] + new + lines[end:])
    start = end + (1 if blank else 0) + 1
    return result, start


def _line_end(text: str) -> str:
    """The deck's line ending, as its first line ends (CRLF from a Windows editor, or CR):
    the lines added end the same way. A deck of one line: LF."""
    at = text.find("\n")
    cr = text.find("\r")
    if cr != -1 and (at == -1 or cr < at):
        return "\r\n" if text.startswith("\r\n", cr) else "\r"
    return "\n"


def free_id(topic: str, taken: set[str]) -> str:
    """`topic-N` with N one past the largest number used in the topic, and not taken."""
    numbers = [
        int(m.group(1)) for cid in taken if (m := re.fullmatch(re.escape(topic) + r"-(\d+)", cid))
    ]
    n = max(numbers, default=0) + 1
    while f"{topic}-{n}" in taken:
        n += 1
    return f"{topic}-{n}"
