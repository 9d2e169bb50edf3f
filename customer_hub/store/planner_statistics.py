"""PostgreSQL's planner statistics kept in step with the hub's bulk writes.

PostgreSQL plans from per-column statistics that only ANALYZE gathers. Autovacuum gathers them some time after a
bulk write, and never where it is switched off. Until it does, the planner guesses, and one guess costs a whole
run: with no statistics it takes `deleted_at IS NULL` to hold for 0.5% of customer records. It then reads all of
them to find the records of 900 customers, 0.76 s a chunk at 300k records where the index path takes 0.11 s. So
each derived step asks for fresh statistics of the tables it wrote once they are missing or far off. SQLite's
planner needs none of this and is left alone.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from sqlalchemy import Engine, Table, exists, select, text
from sqlalchemy.exc import DBAPIError

log = logging.getLogger(__name__)

ANALYZE_BASE_ROWS = 50
ANALYZE_SHARE = 0.5
"""A table is analysed again once more than `ANALYZE_BASE_ROWS` + this share of its rows changed since it last was:
autovacuum's rule with a coarser share (it uses 0.1). A row replaced by key counts twice (deleted, inserted), so
with 0.1 the 360 views were analysed again after every 1% change (0.4 s a run at 300k records), where a plan only
goes wrong once the statistics are far off; autovacuum, where it runs, keeps them finer."""

_STATE = text(
    "SELECT relname, n_live_tup, n_mod_since_analyze, last_analyze IS NULL AND last_autoanalyze IS NULL "
    "FROM pg_stat_user_tables WHERE schemaname = current_schema() AND relname = ANY(:names)"
)


def stale_tables(engine: Engine, tables: Iterable[Table]) -> list[Table]:
    """Those of `tables` that hold rows and were never analysed, or changed by more than `ANALYZE_SHARE` of their
    rows since they were. The change counters are PostgreSQL's own, which it may publish a few seconds late: a table
    missed now is found by the next step that writes it."""
    by_name = {table.name: table for table in tables}
    stale = []
    with engine.connect() as conn:
        for name, live, modified, never in conn.execute(_STATE, {"names": list(by_name)}):
            table = by_name[name]
            if never:
                if conn.execute(select(exists().select_from(table))).scalar():
                    stale.append(table)
            elif modified > ANALYZE_BASE_ROWS + ANALYZE_SHARE * live:
                stale.append(table)
    return stale


def refresh_statistics(engine: Engine, tables: Iterable[Table]) -> list[str]:
    """ANALYZE those of `tables` whose statistics are missing or stale (`stale_tables`), on PostgreSQL; nothing
    elsewhere. A store user without the right to analyse a table gets a warning, not a failed run: the data is
    written, only its plans may be slow. Returns the names of the tables analysed."""
    if engine.dialect.name != "postgresql":
        return []
    analysed = []
    for table in stale_tables(engine, tables):
        try:
            with engine.begin() as conn:
                conn.execute(text(f'ANALYZE "{table.name}"'))
        except DBAPIError as error:
            log.warning("could not refresh the planner statistics of %s: %s", table.name, error.orig)
            continue
        analysed.append(table.name)
    if analysed:
        log.info("refreshed PostgreSQL's planner statistics of %s", ", ".join(analysed))
    return analysed
