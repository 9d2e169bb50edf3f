"""The integration health log: one row for every run of every asset, job and automation flow.

Uptime and error-rate metrics are computed from these rows, so a run that fails must still leave its row: the
context manager writes it on the way out, success or failure, and re-raises the error.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, insert, select

from customer_hub.store.schema import integration_health_log

_ERROR_LIMIT = 500


@dataclass
class HealthEntry:
    """What a run reports about itself while it works; written when the block ends."""

    what: str
    trigger: str
    tool: str | None = None
    records_in: int | None = None
    records_out: int | None = None
    run_id: str | None = None


def record_health(
    engine: Engine,
    entry: HealthEntry,
    *,
    status: str,
    started_at: datetime,
    duration_seconds: float,
    error: str | None = None,
) -> None:
    """Write one health-log row. `error` is cut to a summary: full tracebacks belong in the run log."""
    with engine.begin() as conn:
        conn.execute(
            insert(integration_health_log).values(
                started_at=started_at,
                finished_at=datetime.now(UTC),
                what=entry.what,
                trigger=entry.trigger,
                tool=entry.tool,
                records_in=entry.records_in,
                records_out=entry.records_out,
                status=status,
                duration_seconds=round(duration_seconds, 3),
                error=error[:_ERROR_LIMIT] if error else None,
                run_id=entry.run_id,
            )
        )


def safe_error_text(error: BaseException) -> str:
    """The error as a one-line summary with credentials removed: health rows reach Slack alerts, check metadata
    and the monthly export, and an exception text can quote a token, a webhook URL or an Authorization header."""
    from customer_hub.alerts.redact import redact, secret_values
    from customer_hub.config import ConfigError, cached_config

    try:
        secrets = secret_values(cached_config())
    except (ConfigError, OSError):
        secrets = []
    return redact(f"{type(error).__name__}: {error}", secrets)


@contextmanager
def health_logged(
    engine: Engine, what: str, trigger: str, tool: str | None = None, run_id: str | None = None
) -> Iterator[HealthEntry]:
    """Log the enclosed work as one health row; callers fill in records_in / records_out as they go."""
    entry = HealthEntry(what=what, trigger=trigger, tool=tool, run_id=run_id)
    started_at, start = datetime.now(UTC), time.monotonic()
    try:
        yield entry
    except BaseException as error:
        record_health(
            engine,
            entry,
            status="failure",
            started_at=started_at,
            duration_seconds=time.monotonic() - start,
            error=safe_error_text(error),
        )
        raise
    record_health(engine, entry, status="success", started_at=started_at, duration_seconds=time.monotonic() - start)


def health_rows(engine: Engine, since: datetime | None = None) -> list[dict]:
    """Health-log rows, oldest first, optionally since a time."""
    query = select(integration_health_log).order_by(integration_health_log.c.id)
    if since is not None:
        query = query.where(integration_health_log.c.started_at >= since)
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]
