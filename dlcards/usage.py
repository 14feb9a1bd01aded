"""A command line click could not parse, said in dlcards's words on one line (exit code 2).

Click said `No such option: --today (Possible options: --tag)`, `Missing argument 'ID'.`, `Got
unexpected extra argument(s) (b)` and `No such command 'lst'.`, each followed by a second line
(`Try 'dlcards list --help' for help.`), where dlcards's own errors say what is wrong and what
to do in one line. Here each is said as dlcards says its own: which command, what it lacks or
has too many of, and the near name when there is one (`did you mean --tag?`, by the one rule
of `dlcards.suggest`), else where its help is. Imported only when a command line is refused.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from typing import Any

from dlcards.errors import quoted

_NO_COMMAND = re.compile(r"No such command ('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")")


def command_path(ctx: Any) -> str:
    """`dlcards list`, `dlcards export anki`: the command a context runs, named as the user
    types it, whatever the program was started as (`python -m dlcards`, a test's runner)."""
    names = []
    while ctx is not None and ctx.parent is not None:
        names.append(ctx.info_name or "")
        ctx = ctx.parent
    return " ".join(["dlcards", *reversed(names)])


def option_names(ctx: Any) -> list[str]:
    """Every option a context's command takes, as typed (`--tag`, `-n`, `--help`)."""
    names: list[str] = []
    for param in ctx.command.get_params(ctx):
        if getattr(param, "param_type_name", "") == "option":
            names += [*param.opts, *param.secondary_opts]
    return list(dict.fromkeys(names))


def near_option(given: str, names: Sequence[str]) -> str | None:
    """The option of `names` that `given` looks like a slip of (`--tg`, `--cout`), compared
    without their dashes: with them, every long option shares `--` and `--today` looked like
    `--tag`."""
    from dlcards.suggest import closest

    bare: dict[str, str] = {}
    for name in names:
        if name.startswith("--") == given.startswith("--"):
            bare.setdefault(name.lstrip("-"), name)
    found = closest(given.lstrip("-"), list(bare))
    return bare[found[0]] if found else None


def unknown_option(path: str, given: str, names: Sequence[str], hint: str = "") -> str:
    """`given`, an option the command `path` (of options `names`) does not take, with the
    near one or where its options are listed; `hint`: what else the command says of it."""
    given = given.partition("=")[0]  # `--lmit=3`: the option, not its value
    near = near_option(given, names)
    more = f"; {hint}" if hint else ""
    if near is not None:
        return f"{path} has no option {given}: did you mean {near}?"
    return f"{path} has no option {given} (`{path} --help` lists its options{more})"


def unknown_option_here(given: str, hint: str = "") -> str:
    """`unknown_option` for the command running now: one that takes unknown options as
    words (`calc`, `config`, `search`: `-1` is a value there) and refuses them itself."""
    from dlcards.cli import current_context

    ctx = current_context()
    if ctx is None:  # the command called as a function (not by the CLI)
        return unknown_option("dlcards", given, (), hint)
    return unknown_option(command_path(ctx), given, option_names(ctx), hint)


def unknown_command(path: str, given: str, names: Sequence[str]) -> str:
    from dlcards.suggest import closest

    near = closest(given, [n for n in names if n != given])
    if near:
        return f"{path} has no command {quoted(given)}: did you mean {near[0]}?"
    return f"{path} has no command {quoted(given)} (`{path} --help` lists them)"


def missing(path: str, name: str, usage: str) -> str:
    """An argument (or a required option) not given: which, and the command's usage."""
    return f"{path} needs {name} (usage: {path} {usage})"


def extra_arguments(path: str, takes: Sequence[str], extra: Sequence[str]) -> str:
    """Words left over once a command's arguments are taken: how many it takes, and which
    words are too many."""
    if not takes:
        had = "takes no arguments"
    elif len(takes) == 1:
        had = f"takes one argument, {takes[0]}"
    else:
        had = f"takes {len(takes)} arguments, {', '.join(takes[:-1])} and {takes[-1]}"
    shown = ", ".join(quoted(word) for word in extra[:5]) + (", ..." if len(extra) > 5 else "")
    many = "is one too many" if len(extra) == 1 else f"are {len(extra):,} too many"
    return f"{path} {had}: {shown} {many}"


def argument_names(ctx: Any) -> list[str]:
    """The names of a context's command's arguments, as its usage writes them (`ID`)."""
    return [
        bare(p.human_readable_name)
        for p in ctx.command.get_params(ctx)
        if getattr(p, "param_type_name", "") == "argument"
    ]


def bare(name: str) -> str:
    """An argument's name without the marks its usage puts around it (`{ID}`, `[KEY]`,
    `{QUERY...}`): `ID`, `KEY`, `QUERY`."""
    return name.strip("[]{}").removesuffix("...")


def _command_of(words: Sequence[str]) -> str:
    """`dlcards NAME` for the first word of a command line that names a command, else
    `dlcards`: an error the parser raises without its context (an option without its value)."""
    from dlcards.cli import COMMANDS

    name = next((w for w in words if w in COMMANDS), None)
    return f"dlcards {name}" if name else "dlcards"


def usage_words(err: Any, words: Sequence[str]) -> str:
    """Click's usage error `err`, for the command line `words`, as dlcards says it."""
    kind = type(err).__name__
    ctx = err.ctx
    path = command_path(ctx) if ctx is not None else _command_of(words)
    message: str = err.format_message()
    if kind == "NoSuchOption" and ctx is not None:
        return unknown_option(path, err.option_name, option_names(ctx))
    if kind == "BadOptionUsage":
        option = err.option_name
        if "does not take a value" in message:
            return f"{path} {option} takes no value"
        if "requires" in message:
            return f"{path} {option} needs a value"
        return message
    if kind == "MissingParameter" and ctx is not None and err.param is not None:
        param = err.param
        if getattr(param, "param_type_name", "") == "option":
            name = max(param.opts, key=len)
        else:
            name = bare(param.human_readable_name)
        usage = " ".join(ctx.command.collect_usage_pieces(ctx))
        return missing(path, name, usage)
    if isinstance(getattr(err, "extra", None), list) and ctx is not None:
        return extra_arguments(path, argument_names(ctx), err.extra)
    found = _NO_COMMAND.match(message)
    if found is not None and ctx is not None:
        given = ast.literal_eval(found.group(1))
        return unknown_command(path, given, ctx.command.list_commands(ctx))
    return bad_value_words(err, message)


def bad_value_words(err: Any, message: str) -> str:
    """Click's message for an option given a bad value, a number or a choice said as dlcards
    says its own (`dlcards.console.plain_bad_value`); any other message as click wrote it."""
    from dlcards.console import plain_bad_value

    param = getattr(err, "param", None)
    kind = getattr(getattr(param, "type", None), "name", "")
    if param is None or not param.opts or not kind.startswith(("int", "float", "choice")):
        return message
    option = max(param.opts, key=len)  # --count, not -n
    low, high = getattr(param.type, "min", None), getattr(param.type, "max", None)
    choices = [str(c) for c in getattr(param.type, "choices", ())]
    plain = plain_bad_value(message, option, kind.startswith("int"), low, high, choices)
    return message if plain is None else plain
