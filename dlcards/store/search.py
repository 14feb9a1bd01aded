"""A parsed search query (`dlcards.search.Query`) as SQL on the FTS5 index and the card tables.

Words go to FTS5's MATCH (each a quoted phrase with its last word a prefix, so no user text is
ever read as FTS syntax); filters become WHERE clauses with bound parameters. Ranked by bm25
(question and tags weigh double), deck order among equals and when there are no words.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from dlcards.settings import DAY_STARTS_AT
from dlcards.store.rows import AFTER_RESET

if TYPE_CHECKING:
    from dlcards.search import Filter, Group, Node, Query

NO_COMBINING = "dlcards_without_combining"
"""The SQL function (`dlcards.search.without_combining`) each store connection has, for
`tag:nc:`."""
# bm25 weights per column: card_id (not indexed), question, answer, erratum, note, tags
BM25 = "bm25(card_search, 0.0, 2.0, 1.0, 1.0, 1.0, 2.0)"
_OPS = {"<": "<", "<=": "<=", ">": ">", ">=": ">=", "=": "=", "!=": "!="}


REPS = (  # Anki's reps: how many times the card was answered (since its last reset)
    f"(SELECT count(*) FROM reviews r WHERE r.card_id = c.id AND {AFTER_RESET})"
)

_FIRST_LATER = (  # the card's first review after the day searched, in time order (`LATER`'s r)
    "(SELECT f.at, f.id FROM reviews f INDEXED BY reviews_card_time WHERE f.card_id = c.id "
    "AND f.day > ? ORDER BY f.at, f.id LIMIT 1)"
)
REPS_AS_OF = (
    # a card never reset: every answer up to the day (its only start is its first answer)
    "(CASE WHEN c.reset_at IS NULL THEN (SELECT count(*) FROM reviews r WHERE "
    "r.card_id = c.id AND r.day <= ?) "
    "WHEN EXISTS (SELECT 1 FROM reviews f WHERE f.card_id = c.id AND f.day > ?) "
    "THEN (SELECT count(*) FROM reviews r WHERE r.card_id = c.id AND r.day <= ? AND (r.at, r.id) "
    ">= (SELECT a.at, a.id FROM reviews a INDEXED BY reviews_card_time WHERE a.card_id = c.id "
    f"AND a.last_review_before IS NULL AND (a.at, a.id) <= {_FIRST_LATER} "
    # (the answer before it left the card studied: a reset came between; none: its first)
    "AND coalesce((SELECT p.kind = 'scheduled' OR p.last_review_before IS NOT NULL "
    "FROM reviews p INDEXED BY reviews_card_time WHERE p.card_id = c.id "
    "AND (p.at, p.id) < (a.at, a.id) ORDER BY p.at DESC, p.id DESC LIMIT 1), 1) "
    "ORDER BY a.at DESC, a.id DESC LIMIT 1)) "
    f"ELSE {REPS} END)"
)
"""`prop:reps` as of a past day (its four parameters): with reviews logged after it, the
answers up to that day since the card last started over before its first later review (its
first answer, or its first after a reset: an answer from a new card's memory where the one
before it left the card studied, of either kind; a re-drill a session asked for stays one when
the grade before it is undone, and the first scheduled grade after it alone left it out, where
a card never reset counts it), not since its reset point now, which may come after the day
(a card studied then and reset since read 0 answers while `is:review` found it); without,
`REPS`. Only a card reset at some time pays for the search of its span: at 20,000 cards and
200,000 answers, 60 ms for every card, 340-780 ms with it."""


def _prop(name: str, table: str, as_of: bool = False) -> str:
    """The SQL of `prop:name` (`as_of`: the tables joined are the state as of the day searched,
    `then_tables`, and `reps` counts the answers up to that day, `REPS_AS_OF`, binding it
    first)."""
    # (as of a day, FSRS's interval is from the due date its state then has, `scheduled`: `due`
    # there is the next review's day for a card graded that day after it, `reports.due_as_of`)
    interval = (
        "s.interval"
        if table == "sm2"
        else f"coalesce(julianday(d.{'scheduled' if as_of else 'due'}) - "
        "julianday(d.last_review), 0)"
    )
    return {
        "lapses": "s.lapses",
        "reps": REPS_AS_OF if as_of else REPS,
        # Anki's factor: EF in thousandths, 0 on a card never answered
        "ease": "(CASE WHEN s.last_review IS NULL THEN 0 ELSE s.ef * 10 END)",
        "ivl": interval,
        # as Anki's (its suspended cards are in no queue with a due day): days from today
        "due": f"(CASE WHEN c.suspended = 0 THEN julianday({_due(table)}.due) END) - julianday(?)",
    }[name]


def anki_factor(ease: float) -> int:
    """`prop:ease` as Anki compares it: with the factor (`ease * 1000.0) as u32`, in f32),
    so `prop:ease>2.55` is `factor > 2549` and finds a card of ease 2.55, as in Anki; past
    u32 (`inf`, `1e39`) it is u32's largest, below 0 (or NaN) 0, as Rust's cast saturates."""
    import math
    import struct

    def f32(x: float) -> float:
        if math.isnan(x) or abs(x) > 3.4028234663852886e38:
            return x if math.isnan(x) else math.copysign(math.inf, x)
        return float(struct.unpack("f", struct.pack("f", x))[0])

    product = f32(f32(ease) * 1000.0)
    if math.isnan(product) or product <= 0:
        return 0
    # Rust's `as u32` saturates: `prop:ease>inf` (or 1e39, infinite in f32) is u32::MAX
    return int(min(product, 2**32 - 1))


TAGS = "(CASE WHEN c.leech = 1 THEN coalesce(c.tags, ' ') || 'leech ' ELSE c.tags END)"
"""A card's tags as `tag:` searches them (" a b "): its deck's, and Anki's `leech` on a leech,
the tag `export anki` gives its note and Anki's only mark of one (`tag:leech` is how an Anki
user finds leeches: it said the tag was unknown)."""


def _tag_clause(pattern: str, tags: str = TAGS) -> tuple[str, list[Any]]:
    """A card whose tags hold one matching `pattern` (a GLOB), or one under such a tag
    (`ml` finds `ml::cnn`: Anki's `tag:` reads `(::| )` after the pattern): on the tags as
    one string (" a b ") while a `*` can only be the pattern's last character; with a `*`
    inside (`m*x`) that string is only a first cut (its `*` crosses tags: " math relux " is
    no `m*x`, as Anki's `\\S*` is not), then tag by tag (100,000 cards: ~3x the plain
    GLOB). `tags`: the SQL of the tags string (for `tag:nc:`, without combining marks)."""
    if not pattern.strip("*"):  # `tag:**`: any tag, as Anki's `\S*\S*` is (a card with
        # none has the tags "  ", which `*  *` matched)
        return f"trim({tags}) != ''", []
    whole = f"({tags} GLOB ? OR {tags} GLOB ?)"
    params = [f"* {pattern} *", f"* {pattern}::*"]
    if "*" not in pattern.rstrip("*").replace("[*]", ""):
        return whole, params
    each = (
        f"EXISTS (WITH RECURSIVE t(tag, rest) AS (SELECT NULL, ltrim({tags}) UNION ALL "
        "SELECT substr(rest, 1, instr(rest, ' ') - 1), substr(rest, instr(rest, ' ') + 1) "
        "FROM t WHERE instr(rest, ' ') > 0) SELECT 1 FROM t WHERE tag GLOB ? OR tag GLOB ?)"
    )
    return f"({whole} AND {each})", [*params, pattern, f"{pattern}::*"]


EPOCH_DAY = date(1970, 1, 2)
"""The first study day whose start is a moment every platform's clock reads (a day before it
starts before 1970 in some time zone): a span reaching back before it has no lower bound."""


def _dated(
    f: Filter, today: date, starts_at: int, past_after: bool = False
) -> tuple[str, list[Any]]:
    """`rated:`, `introduced:`, `added:`, `edited:`: in the last `f.number` study days, today
    the last. Answers by their study day (`reviews.day`, as `is:due` reads `today`), along the
    log's day index; cards by the moment that day began (the hour `starts_at`, local time).
    What came after `today` (answers, cards added or edited after it: the log and the cards
    of a later day, seen from a past `--today`) has not happened yet, as on every screen;
    unless `past_after` (today is the clock's day, `Reports.take_clock_day`: a clock set
    ahead dated them, and was set back): then it has, and the span runs on, as Anki's (an id
    after the span's first moment)."""
    from dlcards.days import study_day_start

    back = min(int(f.number) - 1, today.toordinal() - 1)  # rated:4294967295: every day
    first = today - timedelta(days=back)
    last = date.max if past_after else today
    span = [first.isoformat(), last.isoformat()]
    if f.kind == "rated":
        from dlcards.search import BUTTON_GRADES

        grades = BUTTON_GRADES[int(f.value)] if f.value else ()
        graded = f"grade IN ({', '.join(map(str, grades))}) AND " if grades else ""
        sql = f"c.id IN (SELECT card_id FROM reviews WHERE {graded}day BETWEEN ? AND ?)"
        return sql, span
    if f.kind == "introduced":
        # Anki's: the card's first answer ever (by time; a reset logs none) was in the span.
        # First cut along the day index: the answers in the span to a card new before them
        # (no last review: a first answer, ever or since a reset; the daily new-card count's
        # test), then each of those cards' first answer (100,000 cards, 1,000,000 answers:
        # introduced:30 in 20 ms, where every answer of the span as the cut took 180).
        sql = (
            "(c.id IN (SELECT card_id FROM reviews WHERE day BETWEEN ? AND ? AND "
            "last_review_before IS NULL) AND (SELECT r.day FROM reviews r WHERE r.card_id = c.id "
            "ORDER BY r.at, r.id LIMIT 1) BETWEEN ? AND ?)"
        )
        return sql, span * 2
    # `added`: the first sync's stamp (ISO, with its offset); `edited`: seconds; both before
    # the next study day began
    moment = "CAST(strftime('%s', c.added) AS INTEGER)" if f.kind == "added" else "c.edited"
    if past_after:
        if first < EPOCH_DAY:
            return f"{moment} IS NOT NULL", []
        return f"{moment} >= ?", [int(study_day_start(first, starts_at).timestamp())]
    end = int(study_day_start(today + timedelta(days=1), starts_at).timestamp())
    if first < EPOCH_DAY:
        return f"{moment} < ?", [end]
    return f"{moment} >= ? AND {moment} < ?", [
        int(study_day_start(first, starts_at).timestamp()),
        end,
    ]


def _clause(
    f: Filter,
    today: date,
    table: str,
    starts_at: int,
    as_of: bool = False,
    past_after: bool = False,
) -> tuple[str, list[Any]]:
    from dlcards.search import DATED

    params: list[Any] = []
    if f.kind in DATED:
        sql, params = _dated(f, today, starts_at, past_after)
    elif f.kind == "topic":
        sql, params = "c.topic GLOB ?", [f.value]
    elif f.kind == "topics":  # a deck: filter, as the topics it names (search.resolve_decks)
        sql, params = "c.topic IN (SELECT value FROM json_each(?))", [json.dumps(f.value.split())]
    elif f.kind == "deck":
        raise ValueError("a deck: filter reaches SQL as its topics (search.resolve_decks)")
    elif f.kind == "tag":
        sql, params = _tag_clause(f.value)
    elif f.kind == "nctag":
        sql, params = _tag_clause(f.value, f"{NO_COMBINING}({TAGS})")
    elif f.kind == "untagged":
        sql = f"trim(coalesce({TAGS}, '')) = ''"
    elif f.kind in ("all", "none"):
        sql = "1" if f.kind == "all" else "0"
    elif f.kind == "is":
        d = _due(table)
        sql = {
            "due": f"({d}.due <= ? AND c.suspended = 0)",  # as Anki: a suspended card waits
            "new": f"{d}.due IS NULL",
            "review": f"{d}.due IS NOT NULL",
            "suspended": "c.suspended != 0",  # as `cards_inactive` is kept: no scan of every card
            "leech": "c.leech != 0",  # as `cards_leech` is kept: no scan of every card
        }[f.value]
        if f.value == "due":
            params = [today.isoformat()]
    else:
        sql = f"{_prop(f.value, table, as_of)} {_OPS[f.op]} ?"
        number = anki_factor(f.number) if f.value == "ease" else f.number
        bound = 4 if as_of and f.value == "reps" else int(f.value == "due")
        params = [today.isoformat()] * bound + [number]
    if f.negated:
        sql = f"NOT coalesce({sql}, 0)"
    return sql, params


def _needs(query: Query, table: str) -> tuple[bool, bool]:
    """Whether the filters read SM-2's memories (`s`) and the active scheduler's (`d`; one
    join, `s`, when that is SM-2)."""
    filters = query.every_filter()
    props = {f.value for f in filters if f.kind == "prop"}
    dated = {f.value for f in filters if f.kind == "is"} & {"due", "new", "review"}
    need_s = bool(props & {"lapses", "ease"}) or (table == "sm2" and "ivl" in props)
    need_d = bool(dated) or "due" in props or (table != "sm2" and "ivl" in props)
    if table == "sm2":
        return need_s or need_d, False
    return need_s, need_d


def reads_memories(query: Query, table: str) -> bool:
    """Whether `query` reads the cards' study state (`is:due`, `is:new`, `is:review`,
    `prop:`): from a past day, it reads it as of that day (`search_sql`'s `as_of`)."""
    need_s, need_d = _needs(query, table)
    return (
        need_s
        or need_d
        or any(f.kind == "prop" and f.value == "reps" for f in query.every_filter())
    )


def _joins(query: Query, table: str, as_of: bool = False) -> str:
    """Only the memory tables the filters read (`s`: SM-2's, `d`: the active scheduler's,
    one join when that is SM-2): a word search touches the cards' covering index alone
    (`cards_search`), one seek per match. `as_of`: the states of `_then_tables`."""
    need_s, need_d = _needs(query, table)
    joins = []
    if need_s:
        joins.append(f"JOIN {'sm2_then' if as_of else 'sm2'} s ON s.card_id = c.id")
    if need_d:
        joins.append(f"JOIN {table + '_then' if as_of else table} d ON d.card_id = c.id")
    return " ".join(joins)


def _then_tables(query: Query, table: str, today: date) -> tuple[str, list[Any]]:
    """The WITH clause of the memories as of `today` (reviews logged on later days have not
    happened yet), as `due` reads them (`reports.LATER`, `reports.due_as_of`): `sm2_then`
    and, under FSRS, `fsrs_then`, each a table of the active cards' state then, with the
    columns the filters read. Its parameters, all `today`, come first in the statement."""
    from dlcards.store.reports import LATER_BINDS, due_as_of, fsrs_then, later_join, then

    need_s, need_d = _needs(query, table)
    parts, params = [], []
    if need_s:
        join = later_join("sm2")
        parts.append(
            f"sm2_then AS (SELECT c.id AS card_id, {due_as_of('sm2')} AS due, "
            f"{then('s.interval', 'r.interval_before')} AS interval, "
            f"{then('s.ef', 'r.ef_before')} AS ef, {then('s.lapses', 'r.lapses_before')} AS "
            f"lapses, {then('s.last_review', 'r.last_review_before')} AS last_review "
            f"FROM cards c JOIN sm2 s ON s.card_id = c.id{join} WHERE c.retired = 0)"
        )
        params += [today.isoformat()] * LATER_BINDS
    if need_d:
        join = later_join(table)
        parts.append(
            f"{table}_then AS (SELECT c.id AS card_id, {due_as_of(table)} AS due, "
            f"{fsrs_then('s.due', 'due')} AS scheduled, "
            f"{fsrs_then('s.last_review', 'last_review')} AS last_review "
            f"FROM cards c JOIN {table} s ON s.card_id = c.id{join} WHERE c.retired = 0)"
        )
        params += [today.isoformat()] * LATER_BINDS
    return ("WITH " + ", ".join(parts) + " ") if parts else "", params


def _due(table: str) -> str:
    """The alias of the active scheduler's table (SM-2's is joined once, as `s`)."""
    return "s" if table == "sm2" else "d"


def _node_sql(
    node: Node, today: date, table: str, starts_at: int, as_of: bool, past_after: bool = False
) -> tuple[str, list[Any]]:
    """A condition of a query with `or` or groups: a term is a lookup in the index."""
    from dlcards.search import Filter, Term, phrase

    if isinstance(node, Term):
        sql = "c.search_rowid IN (SELECT rowid FROM card_search WHERE card_search MATCH ?)"
        return (f"NOT coalesce({sql}, 0)" if node.negated else sql), [phrase(node)]
    if isinstance(node, Filter):
        return _clause(node, today, table, starts_at, as_of, past_after)
    parts = [_node_sql(item, today, table, starts_at, as_of, past_after) for item in node.items]
    sql = "(" + f" {node.kind.upper()} ".join(p for p, _ in parts) + ")"
    params = [arg for _, args in parts for arg in args]
    return (f"NOT coalesce({sql}, 0)" if node.negated else sql), params


def _holds_a_found_word(node: Node) -> bool:
    """Whether every card `node` matches holds one of its query's found words: a term under
    no `-` (`Query.found_terms`); a group of "and" with such an item, of "or" made of them.
    A negated group or filter may match cards that hold none (an answer of False is only
    the safe side)."""
    from dlcards.search import Group, Term

    if node.negated:
        return False
    if isinstance(node, Term):
        return True
    if isinstance(node, Group):
        held = (_holds_a_found_word(item) for item in node.items)
        return any(held) if node.kind == "and" else all(held)
    return False


def _tree_sql(
    query: Query,
    tree: Group,
    today: date,
    table: str,
    limit: int | None,
    starts_at: int,
    as_of: bool,
    counted: bool = False,
    past_after: bool = False,
) -> tuple[str, list[Any]]:
    """A query with `or` or groups: its condition on each active card, ranked by bm25 of its
    words taken together (any of them) when it has some, else in deck order. `counted`: each
    row also holds the count of all the matches (`TOTAL`)."""
    from dlcards.search import phrase

    clause, params = _node_sql(tree, today, table, starts_at, as_of, past_after)
    joins = _joins(query, table, as_of)
    total = f", {TOTAL}" if counted else ""
    found = " OR ".join(dict.fromkeys(phrase(t) for t in query.found_terms()))
    if found:
        # The cards that hold a found word, ranked: each scored row of the index looks up its
        # card (`m` first, by CROSS JOIN); then the matching cards that hold none, unranked.
        # Written as one join (`cards LEFT JOIN m`), SQLite could choose to scan all of `m`
        # for each card: `momentum OR gradient` at 100,000 cards (60,000 matches) ran for
        # minutes.
        ranked = (
            f"SELECT c.id, c.topic, m.score, c.position FROM (SELECT rowid, {BM25} AS score "
            "FROM card_search WHERE card_search MATCH ?) m CROSS JOIN cards c "
            f"ON c.search_rowid = m.rowid {joins} WHERE c.retired = 0 AND {clause}"
        )
        # Those that hold none: no such card matches a tree every match of which holds a
        # found word (`(momentum OR gradient) tag:math`), whose second branch matched each
        # of its words again, over the cards, to find nothing (100,000 cards: 218 -> 102 ms)
        unranked = (
            ""
            if _holds_a_found_word(tree)
            else f" UNION ALL SELECT c.id, c.topic, NULL, c.position FROM cards c {joins} "
            f"WHERE c.retired = 0 AND {clause} AND NOT coalesce(c.search_rowid IN "
            "(SELECT rowid FROM card_search WHERE card_search MATCH ?), 0)"
        )
        sql = (
            f"SELECT id, topic, score{total} FROM ({ranked}{unranked}) "
            "ORDER BY score IS NULL, score, position"
        )
        params = [found, *params, *params, found] if unranked else [found, *params]
    else:
        sql = (
            f"SELECT c.id, c.topic, NULL{total} FROM cards c {joins} "
            f"WHERE c.retired = 0 AND {clause} ORDER BY c.position"
        )
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return sql, params


TOTAL = "count(*) OVER ()"
"""The column `search_sql(counted=True)` adds to each row: how many cards match in all. A
window over every match, computed before the ORDER BY and LIMIT: the page and the count in
one pass, in SQL (a filter matching half of 100,000 cards had every match fetched into
Python to count them, and to keep the first page)."""


def search_sql(
    query: Query,
    today: date,
    table: str,
    limit: int | None = None,
    starts_at: int = DAY_STARTS_AT,
    as_of: bool = False,
    counted: bool = False,
    past_after: bool = False,
) -> tuple[str, list[Any]]:
    """SELECT id, topic, rank of the active cards matching `query`, best first (the first
    `limit` of them when given); `today` is the study day, which begins at the hour
    `starts_at` (the collection's `day_starts_at`, for `added:` and `edited:`). `as_of`:
    reviews are logged after `today`, and the filters read the cards' state then
    (`_then_tables`), as `due` and `stats` do. `counted` (a query with filters or groups,
    not `words_match`'s, which the index counts): a fourth column, the count of every match
    (`TOTAL`). `past_after`: what is dated after `today` has happened (`_dated`)."""
    with_, first = _then_tables(query, table, today) if as_of else ("", [])
    sql, params = _search_sql(query, today, table, limit, starts_at, as_of, counted, past_after)
    return with_ + sql, first + params


def words_match(query: Query) -> str | None:
    """The FTS5 MATCH of a query of words alone, ranked and counted inside the index: its
    terms (each must hold, those under `-` must not, one at least that must), or an `or` of
    words and phrases (`a OR b OR "c d"`). None for any other query (a filter, a group, a
    negated one). As a tree, an `or` of words had each word's matches listed, and looked up,
    once for each branch of `_tree_sql`'s union: twenty words at 100,000 cards took 2.4 s,
    where the index's own `OR` takes 0.6."""
    from dlcards.search import Group, Term, phrase

    tree = query.tree
    if tree is None:
        return _all_of(query) if query.phrases(False) and not query.filters else None
    if (
        not isinstance(tree, Group)
        or tree.negated
        or tree.kind != "or"
        or not all(isinstance(t, Term) and not t.negated for t in tree.items)
    ):
        return None
    return " OR ".join(dict.fromkeys(phrase(t) for t in tree.items if isinstance(t, Term)))


def _all_of(query: Query) -> str:
    """The MATCH of a flat query's terms: each that must hold, none of those under `-`."""
    return " AND ".join(query.phrases(False)) + "".join(f" NOT {n}" for n in query.phrases(True))


def _search_sql(
    query: Query,
    today: date,
    table: str,
    limit: int | None,
    starts_at: int,
    as_of: bool,
    counted: bool = False,
    past_after: bool = False,
) -> tuple[str, list[Any]]:
    match = words_match(query)
    if match is not None:
        if counted:
            raise ValueError("a query of words alone is counted in the index (count_sql)")
        return _words_sql(match, [], limit)
    if query.tree is not None:
        return _tree_sql(
            query, query.tree, today, table, limit, starts_at, as_of, counted, past_after
        )
    positive, negative = query.phrases(False), query.phrases(True)
    where = ["c.retired = 0"]
    params: list[Any] = []
    for f in query.filters:
        clause, args = _clause(f, today, table, starts_at, as_of, past_after)
        where.append(clause)
        params += args
    joins = _joins(query, table, as_of)
    if positive:  # words and filters
        return _words_sql(_all_of(query), where, limit, joins, params, counted)
    if negative:
        where.append(
            "c.search_rowid NOT IN (SELECT rowid FROM card_search WHERE card_search MATCH ?)"
        )
        params.append(" OR ".join(negative))
    total = f", {TOTAL}" if counted else ""
    sql = (
        f"SELECT c.id, c.topic, NULL{total} FROM cards c {joins} "
        f"WHERE {' AND '.join(where)} ORDER BY c.position"
    )
    if limit is None:
        return sql, params
    return sql + " LIMIT ?", [*params, limit]


def _words_sql(
    match: str,
    where: list[str],
    limit: int | None,
    joins: str = "",
    params: Sequence[Any] = (),
    counted: bool = False,
) -> tuple[str, list[Any]]:
    """The cards matching the FTS5 `match` (and the conditions `where` on `c`, with their
    `joins` and `params`), best first; `counted`: with the count of every match (`TOTAL`)."""
    if not where and limit is not None:
        # Only words: rank inside the index (retired cards are not in it), then look up the
        # best `limit` cards (one seek each).
        sql = (
            f"SELECT c.id, c.topic, m.score FROM (SELECT rowid, {BM25} AS score "
            f"FROM card_search WHERE card_search MATCH ? ORDER BY score LIMIT ?) m "
            "JOIN cards c ON c.search_rowid = m.rowid ORDER BY m.score, c.position"
        )
        return sql, [match, limit]
    rows = (
        f"FROM card_search JOIN cards c ON c.search_rowid = card_search.rowid {joins} "
        f"WHERE card_search MATCH ? AND {' AND '.join(where or ['c.retired = 0'])}"
    )
    if counted:  # bm25 is read in its MATCH's own query: the window goes around it
        sql = (
            f"SELECT id, topic, score, {TOTAL} FROM (SELECT c.id, c.topic, {BM25} AS score, "
            f"c.position {rows}) ORDER BY score, position"
        )
    else:
        sql = f"SELECT c.id, c.topic, {BM25} AS score {rows} ORDER BY score, c.position"
    if limit is None:
        return sql, [match, *params]
    return sql + " LIMIT ?", [match, *params, limit]


def count_sql(
    query: Query, today: date, table: str, starts_at: int = DAY_STARTS_AT, as_of: bool = False
) -> tuple[str, list[Any]]:
    """SELECT count(*) of the active cards matching `query` (`as_of`: as `search_sql`)."""
    match = words_match(query)
    if match is not None:
        return "SELECT count(*) FROM card_search WHERE card_search MATCH ?", [match]
    sql, params = search_sql(query, today, table, starts_at=starts_at, as_of=as_of)
    return f"SELECT count(*) FROM ({sql})", params
