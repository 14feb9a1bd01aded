"""`dlcards add`, `dlcards edit ID`, `dlcards decks copy DIR`: writing cards in $EDITOR.

`add` opens a one-card template, validates it with the deck loader's messages (reopening the
editor on an error, with the error at the end of the file), gives it the next free id of the
deck's topic and appends it to the deck file, leaving the rest of the file byte for byte as it
was (`dlcards.deckedit`). `edit` opens a copy of the card's deck file at the card's line, validates
it with the other decks, and puts it in the deck's place only when they load (as visudo
does). Progress is keyed by card id, so it survives every edit. The built-in decks of an
installed package are never written: `decks copy DIR` copies them to a directory
of the user's, where a copy takes the built-in deck's place.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import typer

from dlcards.commands.options import DecksOption
from dlcards.errors import DeckError, UsageError, nonempty, quoted
from dlcards.stdio import say

if TYPE_CHECKING:
    from dlcards.catalog import Catalog
    from dlcards.deck import Card

MAX_TRIES = 20
EDIT_PREFIX = "dlcards-edit-"
ADD_PREFIX = "dlcards-add-"
"""+ process id + "-": an edit's or an add's working folder in the temporary folder (the
deck's copy, or the new card's draft, the editor opens); those of commands killed outright
(SIGKILL) are removed by the next of their kind (`fileio.clean_stale_folders`), the copy or
draft in each kept first if it is the learner's."""


def _editor() -> tuple[list[str], str]:
    """The editor's command, and the variable that named it: $VISUAL before $EDITOR, as git
    and crontab take them (vi, named by neither, is $EDITOR's to change)."""
    name = "VISUAL" if os.environ.get("VISUAL") else "EDITOR"
    command = os.environ.get(name) or "vi"
    try:
        words = shlex.split(command)
    except ValueError as err:  # an unclosed quote
        raise UsageError(f"cannot read ${name} {quoted(command)}: {err}; fix it") from None
    if not words:
        raise UsageError(f"${name} is blank; set it to your editor's command")
    return words, name


_AT_LINE = {
    "code": ("-g",),
    "code-insiders": ("-g",),
    "codium": ("-g",),
    "subl": (),
    "sublime_text": (),
    "zed": (),
}
"""Editors that open a file at a line as `FILE:LINE` (after these flags), where `+LINE` is a
file of that name to them (Sublime Text opened a tab "+12"), and that return at once unless
told `--wait` (`-w`), which is added when $EDITOR does not give it (and given once: `code
--wait` had it twice)."""


def open_editor(file: Path, line: int | None = None, stdin: int | None = None) -> None:
    """Run $VISUAL / $EDITOR (vi if neither is set) on `file`, at `line` when given: `+LINE`
    (vi, vim, nano, emacs, micro, kakoune) or `--wait` and `FILE:LINE` (`_AT_LINE`: VS Code,
    Sublime Text, Zed). `stdin`: the
    editor's standard input (`subprocess.DEVNULL` when ours is a script's, which it must not
    read; None: ours)."""
    editor, variable = _editor()
    name = Path(editor[0]).name if editor else ""
    args = list(editor)
    goto = _AT_LINE.get(name)
    if goto is not None and not {"--wait", "-w"} & set(editor[1:]):
        args.append("--wait")  # a window of its own: the edit is read once it is closed
    if line is None:
        args.append(str(file))
    elif goto is not None:
        args += [*goto, f"{file}:{line}"]
    else:
        args += [f"+{line}", str(file)]
    from dlcards.terminal import unmarked_pastes

    unmarked_pastes()  # a session's (`e` in study): the editor asks for the marks if it reads them
    with _stops_passed_on() as stops:
        try:
            child = subprocess.Popen(args, stdin=stdin)
        except OSError as err:
            raise UsageError(
                f"cannot run the editor {quoted(' '.join(editor))} (${variable}): {err.strerror}; "
                f"set ${variable} to your editor's command"
            ) from None
        stops.editor(child)
        with _keyboard_signals_ignored():  # Ctrl-C is the editor's (vim's "leave insert mode")
            code = child.wait()
    if stops.signals:  # `kill` or a closed terminal: the editor has ended, now this command
        from dlcards.terminal import Hangup

        stops.terminal_back()
        raise Hangup(stops.signals[0])
    if code < 0:  # ended by a signal: Popen's -15 is no exit code a user has seen
        raise UsageError(
            f"the editor {quoted(' '.join(editor))} was ended by {_signal_name(-code)}"
        )
    if code != 0:
        raise UsageError(f"the editor {quoted(' '.join(editor))} exited with code {code}")


def _signal_name(number: int) -> str:
    """`SIGTERM`, as `kill -l` names signal 15; a number no name has, as `signal 99`."""
    import signal

    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


class _Stops:
    """The SIGTERMs and SIGHUPs that came while the editor ran (`_stops_passed_on`), each
    passed on to the editor once it is started."""

    def __init__(self) -> None:
        self.signals: list[int] = []
        self.child: subprocess.Popen[bytes] | None = None
        self.modes: list[Any] | None = None  # the terminal's modes before the editor, if one
        try:
            import termios
        except ImportError:  # pragma: no cover - not POSIX
            return
        try:
            if sys.stdin.isatty():  # a script's input has no modes to keep
                self.modes = termios.tcgetattr(sys.stdin.fileno())
        except (termios.error, OSError, ValueError):  # closed meanwhile
            pass

    def terminal_back(self) -> None:
        """The terminal's modes as they were before the editor: an editor ended by a signal
        can leave it raw (vim on SIGTERM), every later line drawn as a staircase."""
        if self.modes is None:
            return
        import termios

        try:
            termios.tcsetattr(sys.stdin.fileno(), termios.TCSADRAIN, self.modes)
        except (termios.error, OSError, ValueError):  # the terminal has closed
            pass

    def editor(self, child: subprocess.Popen[bytes]) -> None:
        self.child = child
        for signum in self.signals:  # came while it started
            self._pass_on(signum)

    def __call__(self, signum: int, frame: object) -> None:
        self.signals.append(signum)
        self._pass_on(signum)

    def _pass_on(self, signum: int) -> None:
        if self.child is not None:
            try:
                self.child.send_signal(signum)
            except OSError:  # it has ended meanwhile
                pass


@contextmanager
def _stops_passed_on() -> Iterator[_Stops]:
    """While the editor runs, `kill` (SIGTERM) and a closed terminal (SIGHUP) are passed on to
    the editor, which ends as it ends on them (vim keeps its swap file), and noted: the
    caller stops once the editor has ended (`terminal.Hangup`, exit 143 or 129), what was
    saved in it kept. They ended dlcards at once with the editor left running on a copy of
    the deck in a folder removed under it (`study`'s `e`, whose session ended) or left for
    good (`edit`, `add`), the editor and the shell then reading the same terminal, and an
    edit saved in it lost. Set before the editor starts: a handler of Python's is not the
    child's (exec resets it). A no-op outside the main thread."""
    import signal
    import threading

    stops = _Stops()
    if threading.current_thread() is not threading.main_thread():
        yield stops
        return
    names = ("SIGTERM", "SIGHUP")
    numbers = [n for n in (getattr(signal, name, None) for name in names) if n is not None]
    # one ignored (`nohup`: SIGHUP) stays ignored, by the editor too, which inherits that
    numbers = [n for n in numbers if signal.getsignal(n) is not signal.SIG_IGN]
    before = {n: signal.signal(n, stops) for n in numbers}
    try:
        yield stops
    finally:
        for number, handler in before.items():
            signal.signal(number, handler)


@contextmanager
def _keyboard_signals_ignored() -> Iterator[None]:
    """While the editor runs, Ctrl-C and Ctrl-\\ are ignored here, as git ignores them while
    its editor runs: the terminal sends them to the editor too, which has its own use for them
    (vim leaves insert mode on Ctrl-C), and here they killed the editor with the edit, and a
    study session with it. Set after the editor started, which has the usual handling. A
    no-op outside the main thread."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    names = ("SIGINT", "SIGQUIT")
    numbers = [n for n in (getattr(signal, name, None) for name in names) if n is not None]
    before = {n: signal.signal(n, signal.SIG_IGN) for n in numbers}
    try:
        yield
    finally:
        for number, handler in before.items():
            signal.signal(number, handler)


def _refuse_builtin(file: Path) -> None:
    from dlcards.catalog import builtin_decks_dir, installed_decks_dir

    where = [p for p in (installed_decks_dir(), builtin_decks_dir()) if p is not None]
    if any(file.resolve().is_relative_to(p.resolve()) for p in where):
        raise UsageError(
            f"{file.name} is a built-in deck of dlcards and is not edited in place (an "
            "upgrade would overwrite it): copy the decks with `dlcards decks copy "
            "DIR`, then use them with --decks DIR or DLCARDS_DECKS=DIR (the copies replace the "
            "built-in decks; progress is kept)"
        )


def _deck_file(deck: str | None, decks: list[str]) -> Path:
    from dlcards.catalog import deck_files, user_deck_paths

    if deck is not None:
        return Path(nonempty(deck, "--deck", "the deck file to add to")).expanduser()
    users = [p for p in deck_files(decks) if any(
        p.resolve().is_relative_to(u.resolve()) or p.resolve() == u.resolve()
        for u in user_deck_paths(decks)
    )]  # fmt: skip
    if len(users) == 1:
        return users[0]
    if not users:
        raise UsageError(
            "which deck? pass --deck FILE (a new file is started if it does not exist); your "
            "decks are given with --decks DIR or DLCARDS_DECKS, and `dlcards decks copy DIR` "
            "copies the built-in ones there"
        )
    from dlcards.console import listed

    # ten named whole: the nine decks `decks copy` makes were cut to `... and 1 more`
    names = listed([str(p) for p in users], most=10)
    raise UsageError(f"which deck? pass --deck FILE, one of: {names}")


def _check_target(file: Path) -> None:
    """Refuse, before the editor opens, a deck file that could not be written: a directory,
    a folder that does not exist, or a file or folder without write permission."""
    from dlcards.catalog import not_a_file

    if file.is_dir():
        raise UsageError(f"--deck {file} is a directory; pass a deck file (e.g. {file}/mine.yaml)")
    why = not_a_file(file) if os.path.lexists(file) else None
    if why is not None:
        raise UsageError(f"cannot add to {file}: it is {why}, not a deck file")
    folder = file.parent
    if not folder.is_dir():
        what = "is not a directory" if folder.exists() else "does not exist"
        raise UsageError(
            f"cannot start deck {file}: its folder {folder} {what}; create it first or "
            "check the path"
        )
    if file.exists() and not os.access(file, os.W_OK):
        raise UsageError(f"cannot add to {file}: the file is read-only")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"cannot add to {file}: its folder {folder} is not writable")


def _check_new_topic(file: Path, topic: str, catalog: Catalog) -> None:
    """A new deck file takes its topic from its name: refuse one another deck already has
    (every later command would stop on the duplicate topic)."""
    from dlcards.catalog import builtin_decks_dir, installed_decks_dir

    builtin = [p.resolve() for p in (installed_decks_dir(), builtin_decks_dir()) if p is not None]
    for info in catalog.infos:
        if info.topic == topic and info.file.resolve() != file.resolve():
            if any(info.file.resolve().is_relative_to(p) for p in builtin):
                # not "add to that deck": a built-in deck is not edited in place
                raise UsageError(
                    f"a new deck {file.name} would have topic '{topic}', a built-in deck's: "
                    "give the new file another name, or copy the decks with `dlcards decks "
                    "copy DIR` and add to your copy of it"
                )
            raise UsageError(
                f"a new deck {file.name} would have topic '{topic}', which {info.file} already "
                f"has: add to that deck (--deck {info.file}) or give the new file another name"
            )


def _new_deck(file: Path) -> tuple[str, str]:
    """The text a new deck file starts with, and its topic (from the file name)."""
    import re

    topic = re.sub(r"[^a-z0-9_-]+", "-", file.stem.lower()).strip("-") or "mine"
    # an order prefix, as the built-in decks have (08-gd.yaml: topic gd), is not the topic
    topic = re.sub(r"^[0-9]+[-_]+(?=[a-z])", "", topic)
    if not topic[0].isalpha():
        topic = "d" + topic
    return f"topic: {topic}\ntitle: {file.stem}\ncards:\n", topic


def _deck_as_is(file: Path) -> tuple[str, str, set[str]]:
    """The deck file's text, topic and card ids now (a new file's starting text)."""
    from dlcards.catalog import read_deck_text
    from dlcards.deck import parse_deck

    if not file.exists():
        text, topic = _new_deck(file)
        return text, topic, set()
    text, shown = read_deck_text(file)
    deck = parse_deck(text, shown)
    return text, deck.topic, {c.id for c in deck.cards}


def _held_ids(topic: str) -> set[str]:
    """The ids of the topic's cards the database holds, those no deck has now included (a
    card removed from its deck is retired with its log kept, and comes back if its id does):
    a torture run's `add` gave a new card a removed card's id, and with it that card's
    reviews and schedule. Nothing is created when there is no database yet."""
    from dlcards.commands.common import existing_store

    with existing_store(None) as store:
        return set() if store is None else store.known_ids(f"{topic}-")


def _keep(text: str | bytes, prefix: str, suffix: str = ".yaml") -> Path:
    """Save what the learner typed and dlcards could not write (a card not added, an edit
    not put in its deck's place) where they can take it from: a new file in the temporary
    folder, its bytes as typed."""
    import tempfile

    fd, name = tempfile.mkstemp(prefix=f"dlcards-{prefix}-", suffix=suffix)
    with os.fdopen(fd, "wb") as fh:
        fh.write(text.encode("utf-8") if isinstance(text, str) else text)
    return Path(name)


def kept_with_error(message: str, name: str, kept: Path) -> tuple[str, str]:
    """An error found in text that could not be written and is now kept in `kept` (`_keep`),
    and how to name `kept` after it: `message` with each place it gives in file `name`
    (`name:LINE`: the draft or the deck's copy the editor had, removed by now, or the deck
    file, left as it was) given in `kept`, whose lines are the same, and `that file` when the
    message now starts with it (else `kept`). The error named the draft (`own-8.yaml:1:18`, a
    file no one can open) or the deck, where the line it gave holds none of the edit."""
    import re

    place = re.compile(rf"(?<![^\s(]){re.escape(name)}(?=:\d)")
    moved = place.sub(lambda _: str(kept), message)
    return moved, "that file" if moved.startswith(f"{kept}:") else str(kept)


def add(
    deck: str | None = typer.Option(
        None,
        "--deck",
        metavar="FILE",
        help="Deck file to add to; started if it does not exist (its folder must). Default: "
        "your one deck file.",
    ),
    decks: list[str] | None = DecksOption,
) -> None:
    """Write a new card in $EDITOR and append it to a deck file, keeping the file as it was."""
    import tempfile

    from dlcards.catalog import load_catalog
    from dlcards.commands.common import decks_as_committed
    from dlcards.console import echo, escaped
    from dlcards.deckedit import TEMPLATE, append_card, check_template, free_id, is_empty
    from dlcards.deckedit import with_error as marked
    from dlcards.fileio import atomic_write_bytes, clean_stale_folders, folder_lock
    from dlcards.prompt import is_deck_name  # the names a folder loads
    from dlcards.search import not_text

    decks_as_committed(None)  # a killed import's decks are not the learner's, to add to
    file = _deck_file(deck, list(decks or ()))
    _refuse_builtin(file)
    if not file.exists() and not is_deck_name(file.name):
        # a deck folder loads only these: the new file would be in no command's decks
        name = file.with_suffix(".yaml").name.lstrip(".") or "deck.yaml"
        raise UsageError(
            f"--deck {file}: a deck file's name ends in .yaml or .yml and does not begin with "
            f"a dot (a deck folder loads only those); name it {name}"
        )
    if not file.exists() and not_text(file.name):  # its name would be the deck's title
        raise UsageError(
            f"--deck {escaped(str(file))}: the file name is not UTF-8 text, and a new deck's "
            "title is its name; name it in UTF-8"
        )
    _check_target(file)
    _, topic, ids = _deck_as_is(file)
    catalog = load_catalog(list(decks or ()))
    taken = {cid for info in catalog.infos for cid in info.ids} | _held_ids(topic)
    if not file.exists():  # a new deck: its topic (from its name) must be no other deck's
        _check_new_topic(file, topic, catalog)
    card_id = free_id(topic, taken | ids)
    clean_stale_folders(ADD_PREFIX, keep=_keep_killed_add)
    with tempfile.TemporaryDirectory(prefix=f"{ADD_PREFIX}{os.getpid()}-") as tmp:
        draft = Path(tmp) / f"{card_id}.yaml"
        # (the name as every line says it: one that is not UTF-8 could not be written)
        pristine = TEMPLATE.format(topic=topic, path=escaped(file.name, in_file=True), sp=" ")
        draft.write_text(pristine, encoding="utf-8")
        # the cursor on the question (past the comments), then on the line of each error
        line = TEMPLATE.splitlines().index("question:{sp}") + 1
        before = None
        try:
            for _ in range(MAX_TRIES):
                open_editor(draft, line)
                raw = draft.read_bytes()
                try:  # a byte-order mark (an editor on Windows writes one) is no text
                    template, bad_line = raw.decode("utf-8").removeprefix("\ufeff"), None
                except UnicodeDecodeError as err:  # shown again with the bad bytes as �
                    template = raw.decode("utf-8", errors="replace")
                    bad_line = raw[: err.start].count(b"\n") + 1
                if is_empty(template) or template == pristine:  # emptied, or left untouched
                    echo("nothing written: no card added")
                    return
                if template == before:
                    raise UsageError("the card was saved unchanged with its error: no card added")
                try:
                    if bad_line is not None:
                        raise DeckError(
                            f"{draft.name}:{bad_line}: not UTF-8 text; save it as UTF-8"
                        )
                    check_template(template, topic, card_id, str(draft.name))
                    break
                except DeckError as err:
                    if not _fix_again(err):  # no terminal, or the learner said no
                        raise UsageError(f"{err}: no card added") from None
                    found = str(err).split(":")
                    line = int(found[1]) if len(found) > 1 and found[1].isdigit() else line
                    before = marked(template, str(err))
                    draft.write_text(before, encoding="utf-8")
            else:  # pragma: no cover - MAX_TRIES saves, each with a new error
                raise UsageError("too many tries: no card added")
        except UsageError as err:
            typed = draft.read_bytes().decode("utf-8", errors="replace") if draft.is_file() else ""
            if before is None and (is_empty(typed) or typed == pristine):
                raise  # nothing typed: an editor that failed at once, or quit untouched
            # given up on (saved unchanged, or the editor quit with an error, even after the
            # card was saved: vim's :cq, an editor that crashed): what was typed is the
            # learner's, kept where the error says, as a card that cannot be written is
            said = str(err) if "no card added" in str(err) else f"{err}; no card added"
            said, there = kept_with_error(said, draft.name, _keep(typed, card_id))
            raise UsageError(f"{said}; yours is kept in {there}") from None
        except KeyboardInterrupt:  # a `kill` or a closed terminal while the editor was open
            typed = draft.read_bytes().decode("utf-8", errors="replace") if draft.is_file() else ""
            if before is not None or not (is_empty(typed) or typed == pristine):
                say(escaped(f"stopped: no card added; yours is kept in {_keep(typed, card_id)}"))
            raise
    # The file is read again and written under a lock on its folder: another `add` (or an
    # edit saved) since the editor opened is kept, and the id is one nobody took meanwhile.
    written: bytes | None = None  # the deck with the card, once made
    try:
        with folder_lock(file.parent, waiting=_waiting):
            if not file.exists():  # still new: no deck of its topic appeared meanwhile
                _check_new_topic(file, topic, load_catalog(list(decks or ())))
            text, now_topic, ids = _deck_as_is(file)
            if now_topic != topic:
                check_template(template, now_topic, card_id, str(file))
            if now_topic != topic:
                taken |= _held_ids(now_topic)
            if card_id in taken | ids:
                card_id = free_id(now_topic, taken | ids)
            new_text, line = append_card(text, template, card_id, str(file))
            written = new_text.encode("utf-8")
            atomic_write_bytes(file, written)
    except (OSError, DeckError, UsageError) as err:
        why = f"cannot write {file}: {err.strerror}" if isinstance(err, OSError) else str(err)
        raise UsageError(
            f"{why}; no card added, yours is kept in {_keep(template, card_id)}"
        ) from None
    except KeyboardInterrupt:  # Ctrl-C or a `kill` while it is written: the card is the
        # learner's either way, in the deck or kept (it was neither, and nothing was said)
        if written is not None and _holds(file, written):
            say(escaped(f"stopped: {card_id} is added to {file}"))
        else:
            say(escaped(f"stopped: no card added; yours is kept in {_keep(template, card_id)}"))
        raise
    echo(f"added {card_id} to {file}:{line}")
    from dlcards.catalog import deck_files

    # the deck files as they are now (a new file is among them when its folder is one of the
    # user's deck folders)
    if file.resolve() not in {path.resolve() for path in deck_files(list(decks or ()))}:
        # a folder loads its .yaml and .yml files; a file of another name only by itself
        given = file.parent if is_deck_name(file.name) else file
        echo(
            f"{file} is not among your decks yet: pass --decks {given} "
            "(or add it to DLCARDS_DECKS) to study it",
            "yellow",
        )


def _edit_until_checked(
    file: Path, line: int, decks: list[str] | None, card_id: str | None, stdin: int | None = None
) -> Catalog:
    """Edit a copy of deck `file` at `line` in the editor (as visudo and crontab -e do), check
    it with the other decks (and `card_id`'s computations, as check runs them), reopening at
    the error's line until it loads, then put it in the deck file's place atomically (the
    file a link points to, its mode kept); the decks loaded. A copy saved unchanged changes
    nothing. A broken edit given up on, or a deck file another program changed while the
    editor was open, leaves the deck file as it is: the error names the file the edit is
    kept in."""
    import tempfile

    from dlcards.catalog import load_catalog
    from dlcards.fileio import clean_stale_folders

    real = file.resolve()
    try:
        original = real.read_bytes()
    except OSError as err:
        raise UsageError(f"cannot read {file}: {err.strerror}") from None
    clean_stale_folders(EDIT_PREFIX, keep=partial(_keep_killed_edit, decks))
    placed = False  # the edit put in the deck's place
    try:
        with tempfile.TemporaryDirectory(prefix=f"{EDIT_PREFIX}{os.getpid()}-") as tmp:
            copy = Path(tmp) / file.name  # the deck's own name: the editor's title, its syntax
            copy.write_bytes(original)
            try:
                _edit_copy(copy, file, line, decks, card_id, stdin)
                edited = copy.read_bytes()
                if edited != original:
                    _replace(real, file, original, edited)
                    placed = True
            except (DeckError, UsageError) as err:
                typed = copy.read_bytes() if copy.is_file() else original
                if typed == original:  # nothing typed: nothing to keep, the deck is as it was
                    if isinstance(err, DeckError):  # a deck broken before the editor opened
                        raise DeckError(f"{err}; fix it and run `dlcards check`") from None
                    raise
                from dlcards.catalog import shown_name

                kept = _keep(typed, f"edit-{file.stem}", file.suffix)
                said, there = kept_with_error(str(err), shown_name(file), kept)
                raise type(err)(
                    f"{said}; {file} is left as it was, your edit is kept in {there}"
                ) from None
            except KeyboardInterrupt:  # a `kill`, a closed terminal, Ctrl-C while it is checked
                typed = copy.read_bytes() if copy.is_file() else original
                if typed != original:  # saved in the editor: in the deck's place, or kept
                    if _holds(real, typed):  # put in place just before: said so, not "kept"
                        placed = True  # (said below)
                    else:
                        from dlcards.console import escaped

                        kept = _keep(typed, f"edit-{file.stem}", file.suffix)
                        say(
                            escaped(
                                f"stopped: {file} is left as it was, your edit is kept in {kept}"
                            )
                        )
                raise
        return load_catalog(list(decks or ()))
    except KeyboardInterrupt:  # the edit in place (interrupted in its write, the folder's
        # removal, the decks' load): the line says so
        if placed:
            from dlcards.console import escaped

            say(escaped(f"stopped: your edit is saved in {file}"))
        raise


def _holds(path: Path, data: bytes) -> bool:
    """Whether the file at `path` holds `data` now (False when it cannot be read)."""
    try:
        return path.read_bytes() == data
    except OSError:
        return False


def _keep_killed_edit(decks: list[str] | None, folder: Path) -> None:
    """The copy of a deck in the working folder of an edit whose dlcards was killed outright
    (SIGKILL; the editor, its child, may have gone on and saved it): kept where every edit
    not put in its deck's place is kept (`_keep`), and said, unless a deck file of its name
    holds it as it is (nothing was typed, or the edit was put in place before the kill)."""
    from dlcards.catalog import deck_files
    from dlcards.console import escaped

    for copy in folder.iterdir():
        if not copy.is_file() or copy.is_symlink():
            continue
        text = copy.read_bytes()
        same = False
        for deck in deck_files(list(decks or ())):
            if deck.name == copy.name:
                with suppress(OSError):
                    same = same or deck.read_bytes() == text
        if not same:
            kept = _keep(text, f"edit-{copy.stem}", copy.suffix)
            say(
                escaped(
                    f"note: an edit of {copy.name} that an earlier dlcards, killed, did not put "
                    f"in its deck's place is kept in {kept}"
                )
            )


def _keep_killed_add(folder: Path) -> None:
    """The draft in the working folder of an `add` whose dlcards was killed outright
    (`_keep_killed_edit`): kept, and said, when a card was typed in it (the template's own
    lines changed; its comments are not the card)."""
    from dlcards.console import escaped
    from dlcards.deckedit import TEMPLATE, card_lines, is_empty

    untouched = card_lines(TEMPLATE.format(topic="", path="", sp=" "))
    for draft in folder.iterdir():
        if not draft.is_file() or draft.is_symlink():
            continue
        text = draft.read_bytes().decode("utf-8", errors="replace")
        if is_empty(text) or card_lines(text) == untouched:
            continue
        kept = _keep(text, draft.stem)
        say(
            escaped(
                f"note: a card typed in an add that an earlier dlcards, killed, did not add "
                f"is kept in {kept}"
            )
        )


def _edit_copy(
    copy: Path,
    file: Path,
    line: int,
    decks: list[str] | None,
    card_id: str | None,
    stdin: int | None,
) -> None:
    """Open `copy` of deck `file` in the editor at `line` until the decks load with the copy
    in the deck's place; DeckError (or UsageError) when the learner gives up."""
    before = None
    for n in range(MAX_TRIES):
        open_editor(copy, line, stdin)
        text = copy.read_bytes()  # compared only: the loader says what is wrong with it
        try:
            _check_copy(text, copy.parent / f"check-{n}" / file.name, file, decks, card_id)
            return
        except DeckError as err:
            if text == before:
                raise DeckError(f"{err} (saved unchanged)") from None
            before = text
            if not _fix_again(err):
                raise DeckError(f"{err} (saved with this error)") from None
            found = str(err).split(":")
            line = int(found[1]) if len(found) > 1 and found[1].isdigit() else line
    raise UsageError("too many tries")


def _check_copy(
    text: bytes, check: Path, file: Path, decks: list[str] | None, card_id: str | None
) -> None:
    """Load the decks with `text` in deck `file`'s place (written to `check`, a path of its
    own for each try: the deck cache knows a file by its path, size and time); a DeckError
    names `file` and the line."""
    from dlcards.catalog import deck_files, load_catalog, shown_name
    from dlcards.deckedit import check_computations

    check.parent.mkdir()
    check.write_bytes(text)
    real = file.resolve()
    files = deck_files(list(decks or ()))
    files = [check if p.resolve() == real else p for p in files]
    if check not in files:  # pragma: no cover - the deck edited is one of the decks
        files.append(check)
    try:
        after = load_catalog(list(decks or ()), files=files)
        if card_id is not None and after.topic_of(card_id) is not None:
            edited = after.card(card_id)
            lines = text.decode("utf-8", errors="replace").splitlines()
            check_computations(edited, str(file), lines[edited.line - 1 :], edited.line)
    except DeckError as err:
        message = str(err)
        for name in {shown_name(check), str(check)}:
            message = message.replace(name, shown_name(file))
        raise DeckError(message) from None


def _replace(real: Path, file: Path, original: bytes, edited: bytes) -> None:
    """Put `edited` in deck file `real`'s place (write, fsync, rename; its mode kept), unless
    the file is no longer `original` (another program saved it while the editor was open)."""
    import stat

    from dlcards.fileio import atomic_write_bytes

    try:
        now = real.read_bytes()
        mode = stat.S_IMODE(real.stat().st_mode)
    except FileNotFoundError:
        now, mode = None, 0
    except OSError as err:
        raise UsageError(f"cannot read {file} again: {err.strerror}") from None
    if now != original:
        what = "was removed" if now is None else "was changed by another program"
        raise UsageError(
            f"{file} {what} while the editor was open; merge your edit into it by hand"
        )
    try:
        atomic_write_bytes(real, edited, mode=mode)
    except OSError as err:
        raise UsageError(f"cannot write {file}: {err.strerror}") from None


def _decks_or_fix_first(decks: list[str] | None, stdin: int | None = None) -> Catalog:
    """The decks; when one of the user's deck files does not load, it is opened at the error's
    line to be fixed first (every command refuses broken decks, so `edit` is the way to mend
    one: a helper's run found it refused too), and the decks once they load."""
    from dlcards.catalog import deck_files, load_catalog, read_deck
    from dlcards.console import escaped
    from dlcards.fileio import folder_lock

    try:
        return load_catalog(list(decks or ()))
    except DeckError as err:
        broken = None
        for path in deck_files(list(decks or ())):
            try:
                read_deck(path)
            except DeckError as own:
                found = str(own).split(":")
                broken = (path, int(found[1]) if len(found) > 1 and found[1].isdigit() else 1)
                break
        if broken is None:
            raise  # the decks clash (an id or topic twice): `dlcards check` names both
        file, line = broken
        _refuse_builtin(file)
        say(f"error: {escaped(str(err))}")
        say(f"opening {file} at line {line} to fix it first")
        with folder_lock(file.parent, waiting=_waiting):
            return _edit_until_checked(file, line, decks, None, stdin)


def _waiting() -> None:
    say(
        "another `dlcards add` or `dlcards edit` is changing a deck in this folder; "
        "waiting for it to finish…"
    )


def _interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def _fix_again(err: DeckError) -> bool:
    """Whether to open the editor again on a save with an error. In a terminal the error is
    said and the learner asked first (a full-screen editor opened at once would cover the
    message, as crontab -e asks); Ctrl-D there is no. Without a terminal (a script, an
    editor that saves by itself) no one can fix the text in between: no, at once, and the
    caller's one error line says what is wrong and where the text is kept (an editor that
    wrote a broken card each time was opened 20 times, `MAX_TRIES`)."""
    if not _interactive():
        return False
    from dlcards.console import escaped
    from dlcards.stdio import confirm

    say(f"error: {escaped(str(err))}")
    return confirm("Open the editor again to fix it?", default=True)


class Edited(NamedTuple):
    """What `edit_card` did: the card as it was, the deck file, and the decks as saved."""

    before: Card
    file: Path
    after: Catalog
    earlier: frozenset[str] = frozenset()  # every deck's card ids before the edit

    @property
    def card(self) -> Card | None:
        """The card as saved; None when no deck has its id any more."""
        found = self.after.topic_of(self.before.id)
        return None if found is None else self.after.card(self.before.id)

    @property
    def renamed(self) -> str | None:
        """The id the card was given in the editor: when its own id is gone and the deck file
        has exactly one id no deck had before. None otherwise."""
        if self.card is not None or not self.earlier:
            return None
        file = self.file.resolve()
        now = {cid for i in self.after.infos if i.file.resolve() == file for cid in i.ids}
        new = sorted(now - self.earlier)
        return new[0] if len(new) == 1 else None

    @property
    def changed(self) -> bool:
        """Whether the card reads otherwise now (its line moving alone is no change)."""
        card = self.card
        return card is None or card._replace(line=self.before.line) != self.before


def edit_card(card_id: str, decks: Sequence[str], stdin: int | None = None) -> Edited:
    """`dlcards edit ID` without its closing line (also `study`'s `e` key): open the card's
    deck file in $EDITOR at the card's line, with the deck's folder locked, and check the
    decks after, reopening at an error. Raises UsageError for a built-in deck (copy the decks
    first), an editor that cannot run or fails, and DeckError for a deck left with an error.
    `stdin`: the editor's standard input (`open_editor`)."""
    from dlcards.commands.common import deck_card
    from dlcards.fileio import folder_lock

    catalog = _decks_or_fix_first(list(decks), stdin)
    card = deck_card(catalog, card_id, None)
    # its own file (a topic's own cards, `own_cards:`, are in a file beside its deck's)
    info = next(i for i in catalog.infos if i.topic == card.topic and card.id in i.ids)
    file = info.file
    _refuse_builtin(file)
    # the deck's folder stays locked while the editor is open: an `add` to it meanwhile waits
    # and then appends to the file as saved here (not to a copy this editor overwrites)
    with folder_lock(file.parent, waiting=_waiting):
        after = _edit_until_checked(file, card.line, list(decks), card.id, stdin)
    earlier = frozenset(cid for i in catalog.infos for cid in i.ids)
    return Edited(card, file, after, earlier)


def edit(
    card_id: str = typer.Argument(..., help="Card id, e.g. gd-23.", metavar="ID"),
    decks: list[str] | None = DecksOption,
) -> None:
    """Open the card's deck file in $EDITOR at its line; the decks are checked after."""
    from dlcards.commands.common import decks_as_committed
    from dlcards.console import echo

    decks_as_committed(None)  # a killed import's decks are not the learner's, to edit
    done = edit_card(card_id, decks or ())
    card, file = done.card, done.file
    if card is None and done.renamed is not None:
        old, new = done.before.id, done.renamed
        echo(
            f"{old} is now {new} in {file}: {new} starts as a new card, and {old}'s progress "
            f"stays under {old} (change the id back to {old} to keep it)",
            "yellow",
        )
    elif card is None:
        echo(
            f"{done.before.id} is no longer in any deck: its progress is kept under that id "
            "and comes back if the id does",
            "yellow",
        )
    elif not done.changed:  # as `study`'s e says it: nothing to sync, no schedule to keep
        echo(
            f"{file}: checked, {card.id} is at line {card.line} "
            "(unchanged: the editor saved no change to it)"
        )
    else:
        echo(f"{file}: checked, {card.id} is at line {card.line}")


decks_app = typer.Typer(
    help="Manage deck files: copy the built-in decks to edit them.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)


@decks_app.command("copy", short_help="Copy the built-in decks to DIR to edit them")
def copy(
    folder: str = typer.Argument(
        ..., help="Directory to copy the built-in decks into.", metavar="DIR"
    ),
    force: bool = typer.Option(
        False,
        "--force",
        help="Overwrite deck files already there that differ from the built-in decks (your "
        "edits in them are lost).",
    ),
) -> None:
    """Copy the built-in decks to DIR, to edit them (use them with --decks DIR)."""
    from dlcards.catalog import builtin_decks_dir
    from dlcards.console import counted, echo, plural
    from dlcards.fileio import atomic_write_all, clean_stale_temps
    from dlcards.prompt import is_deck_name

    sources = sorted(p for p in builtin_decks_dir().iterdir() if is_deck_name(p.name))
    directory = Path(nonempty(folder, "DIR", "the folder to copy the decks into"))
    directory = directory.expanduser()
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"{directory} is a file, not a directory")
    # a copy already there as the deck is is no clash (a copy stopped half-way, killed, is
    # simply run again), and is left as it is, its time too: "copied 9 decks" of a folder
    # that had them all said a copy was made where none was needed
    there = [p for p in sources if (directory / p.name).exists() and _same(p, directory)]
    clash = [p.name for p in sources if (directory / p.name).exists() and p not in there]
    if clash and not force:  # the learner's edits, most likely: --force would lose them
        raise UsageError(
            f"{directory} already has {', '.join(clash[:5])}{' …' if len(clash) > 5 else ''}, "
            f"not as the built-in {'deck is' if len(clash) == 1 else 'decks are'} (edited "
            "there, or from another version of dlcards); --force overwrites "
            f"{'it' if len(clash) == 1 else 'them'} with the built-in "
            f"{'deck' if len(clash) == 1 else 'decks'}, and what differs is lost"
        )
    wanted = [p for p in sources if p not in there]
    try:
        directory.mkdir(parents=True, exist_ok=True)
        clean_stale_temps(directory)  # what a copy killed half-way left
        # all or none: a full disk left the first decks copied and one cut short, which read
        # as a deck with fewer cards (the others retired) when it ended at a line
        atomic_write_all([(directory / p.name, p) for p in wanted])
    except OSError as err:
        where = err.filename or directory
        raise UsageError(
            f"cannot copy the decks to {directory}: {err.strerror} ({where})"
        ) from None
    if not wanted:
        said = f"{directory} already has the {plural(len(sources), 'built-in deck')} as they are"
    else:
        said = f"copied {plural(len(wanted), 'deck')} to {directory}"
        said += f" ({counted(len(there))} already there as they are)" if there else ""
    echo(
        f"{said}; use them with --decks {directory} or DLCARDS_DECKS={directory}: they replace "
        "the built-in decks (same ids, progress kept), and `dlcards add` / `dlcards edit ID` "
        "change them"
    )


def _same(deck: Path, directory: Path) -> bool:
    """Whether `directory` has a file of `deck`'s name with the same bytes."""
    try:
        return (directory / deck.name).read_bytes() == deck.read_bytes()
    except OSError:
        return False
