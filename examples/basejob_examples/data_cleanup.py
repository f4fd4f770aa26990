"""DataCleanupJob: the seed's nightly cleanup of expired files and database rows.

It exists as the example of a system job that changes the world and must be safe to run
again: it deletes what is older than the retention period and nothing else, so a retried or
repeated run finds nothing more to delete. `DryRun` counts and logs without deleting. Table
and column names cannot be bound as SQL parameters, so they are checked against a strict
identifier pattern and quoted by SQLAlchemy; the cutoff time is always a bound parameter.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import os
import re
import stat
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from basejob.context import JobContext
from basejob.errors import FatalError, TransientError
from basejob.job import BaseJob

if TYPE_CHECKING:
    from prometheus_client import Counter
    from sqlalchemy import ColumnElement, Connection, Engine, Table

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
"""A plain, unquoted SQL identifier: letters, digits and underscores, at most 63 characters."""


def _identifier(value: str) -> str:
    if not IDENTIFIER.fullmatch(value):
        message = (
            "must be a plain SQL identifier (a letter or underscore, then letters, digits or "
            "underscores, at most 63 characters)"
        )
        raise ValueError(message)
    return value


def check_database_url(value: str | None) -> str | None:
    """Accept only what SQLAlchemy can parse as a database URL (never echoing the value)."""
    if value is None:
        return None
    from sqlalchemy.engine import make_url  # noqa: PLC0415 - keeps `basejob list` fast
    from sqlalchemy.exc import ArgumentError  # noqa: PLC0415

    try:
        make_url(value)
    except ArgumentError as error:
        message = "is not a database URL (dialect+driver://user:password@host/database)"
        raise ValueError(message) from error
    return value


class DataCleanupParameters(BaseModel):
    """What to clean up and how old "expired" is."""

    model_config = ConfigDict(extra="forbid")

    Directory: Path | None = Field(
        default=None,
        description="Directory whose expired files are deleted (recursively, regular files "
        "only, symbolic links are never followed). Required unless only a database is cleaned.",
    )
    RetentionDays: int = Field(
        default=30,
        ge=1,
        le=36500,
        description="Files and rows older than this many days before the fire time expire.",
    )
    DatabaseUrl: str | None = Field(
        default=None,
        description="SQLAlchemy URL of a database to clean as well, e.g. sqlite:////data/app.db.",
    )
    Table: str = Field(
        default="audit_log",
        description="Table whose expired rows are deleted (a plain SQL identifier).",
    )
    TimestampColumn: str = Field(
        default="created_at",
        description="Column holding each row's time (a plain SQL identifier): a date/time "
        "column, or ISO 8601 text in SQLite.",
    )
    DryRun: bool = Field(
        default=False,
        description="Count and log what would be deleted, and delete nothing.",
    )

    @field_validator("Table", "TimestampColumn")
    @classmethod
    def _plain_identifier(cls, value: str) -> str:
        return _identifier(value)

    @field_validator("DatabaseUrl")
    @classmethod
    def _parseable_url(cls, value: str | None) -> str | None:
        return check_database_url(value)

    @model_validator(mode="after")
    def _something_to_clean(self) -> Self:
        if self.Directory is None and self.DatabaseUrl is None:
            message = "nothing to clean: give Directory, DatabaseUrl, or both"
            raise ValueError(message)
        return self


class DataCleanupJob(BaseJob):
    """Deletes files and database rows older than the retention period (DryRun counts only)."""

    Parameters = DataCleanupParameters

    async def execute(self, ctx: JobContext[DataCleanupParameters]) -> None:
        """Clean the directory, then the table; each part is skipped when not configured."""
        cutoff = ctx.fire_time - datetime.timedelta(days=ctx.data.RetentionDays)
        name = "datacleanup_would_delete_total" if ctx.data.DryRun else "datacleanup_deleted_total"
        help_text = "Expired items found by dry runs." if ctx.data.DryRun else "Deleted items."
        counter = ctx.metrics.counter(name, help_text, ["kind"])
        ctx.logger.info(
            "Started cleanup",
            cutoff=cutoff.isoformat(),
            retention_days=ctx.data.RetentionDays,
            dry_run=ctx.data.DryRun,
        )
        if ctx.data.Directory is not None:
            await _clean_directory(ctx, ctx.data.Directory, cutoff, counter)
        if ctx.data.DatabaseUrl is not None:
            _clean_table(ctx, ctx.data.DatabaseUrl, cutoff, counter)


# -- files -------------------------------------------------------------------------------------


def _regular_files(directory: Path) -> Iterator[tuple[Path, os.stat_result]]:
    """Regular files under `directory`, with their lstat (links are neither followed nor kept)."""
    for root, _, names in os.walk(directory, followlinks=False):
        for name in sorted(names):
            path = Path(root) / name
            try:
                info = path.lstat()
            except FileNotFoundError:
                continue
            if stat.S_ISREG(info.st_mode):
                yield path, info


def _check_directory(directory: Path) -> None:
    if not directory.exists():
        message = f"Directory {str(directory)!r} does not exist; create it or fix the job data"
        raise FatalError(message)
    if not directory.is_dir():
        message = f"Directory {str(directory)!r} is not a directory"
        raise FatalError(message)


def _stop_if_cancelled(ctx: JobContext[Any], **progress: int) -> None:
    if ctx.cancelled.is_set():
        ctx.logger.warning("Stopped cleanup on cancellation", **progress)
        raise asyncio.CancelledError


async def _clean_directory(
    ctx: JobContext[DataCleanupParameters],
    directory: Path,
    cutoff: datetime.datetime,
    counter: Counter,
) -> None:
    """Delete (or, in a dry run, count) regular files last modified before `cutoff`."""
    _check_directory(directory)
    files = counter.labels(kind="file")  # reported as 0 when nothing expired
    expired = 0
    oldest_kept = cutoff.timestamp()
    for path, info in _regular_files(directory):
        _stop_if_cancelled(ctx, files=expired)
        await asyncio.sleep(0)  # let a signal handler run between files
        if info.st_mtime >= oldest_kept:
            continue
        modified = datetime.datetime.fromtimestamp(info.st_mtime, datetime.UTC).isoformat()
        if ctx.data.DryRun:
            ctx.logger.info("Found expired file", path=str(path), modified_at=modified)
        elif _delete_file(ctx, path):
            ctx.logger.info("Deleted expired file", path=str(path), modified_at=modified)
        else:
            continue  # gone meanwhile, or could not be deleted (logged)
        expired += 1
        files.inc()
    event = "Counted expired files" if ctx.data.DryRun else "Deleted expired files"
    ctx.logger.info(event, count=expired, directory=str(directory), dry_run=ctx.data.DryRun)


def _delete_file(ctx: JobContext[Any], path: Path) -> bool:
    """Delete one file; True when it is gone because of us."""
    try:
        path.unlink()
    except FileNotFoundError:
        return False  # deleted by someone else meanwhile: nothing left to do
    except OSError as error:
        ctx.logger.warning("Could not delete expired file", path=str(path), error=str(error))
        return False
    return True


# -- database rows -----------------------------------------------------------------------------


def _clean_table(
    ctx: JobContext[DataCleanupParameters],
    url: str,
    cutoff: datetime.datetime,
    counter: Counter,
) -> None:
    """Delete (or count) the table's rows older than `cutoff`, in one transaction."""
    import sqlalchemy  # noqa: PLC0415 - keeps `basejob list` fast

    _stop_if_cancelled(ctx, rows=0)
    engine = open_engine(url)
    try:
        with (
            transient_database_errors(f"could not clean table {ctx.data.Table!r}"),
            engine.begin() as connection,
        ):
            table = reflect_table(
                connection,
                ctx.data.Table,
                [ctx.data.TimestampColumn],
                hint="fix Table, TimestampColumn or DatabaseUrl",
            )
            expired = _expired_condition(connection, table, ctx.data.TimestampColumn, cutoff)
            if ctx.data.DryRun:
                query = sqlalchemy.select(sqlalchemy.func.count()).select_from(table)
                count = int(connection.execute(query.where(expired)).scalar_one())
            else:
                count = connection.execute(sqlalchemy.delete(table).where(expired)).rowcount
    finally:
        engine.dispose()
    counter.labels(kind="row").inc(count)
    event = "Counted expired rows" if ctx.data.DryRun else "Deleted expired rows"
    ctx.logger.info(event, count=count, table=ctx.data.Table, dry_run=ctx.data.DryRun)


def open_engine(url: str, *, create: bool = False, hint: str = "fix DatabaseUrl") -> Engine:
    """An engine for `url`; a missing SQLite file is fatal unless `create` (a typo would
    otherwise make an empty database; `hint` says what to do), and so is a missing driver."""
    import sqlalchemy  # noqa: PLC0415

    parsed = sqlalchemy.make_url(url)
    database = parsed.database or ""
    local_file = parsed.get_backend_name() == "sqlite" and database not in {"", ":memory:"}
    if local_file and not create and not Path(database).is_file():
        message = f"SQLite database file {database!r} does not exist; {hint}"
        raise FatalError(message)
    try:
        return sqlalchemy.create_engine(parsed)
    except ImportError as error:
        message = f"no database driver installed for {parsed.drivername!r}: {error}"
        raise FatalError(message) from error


@contextlib.contextmanager
def transient_database_errors(what: str) -> Iterator[None]:
    """Turn the database's "cannot now" errors (unreachable, locked, pool timeout) into
    TransientError, so the run is retried."""
    from sqlalchemy import exc  # noqa: PLC0415

    try:
        yield
    except (exc.OperationalError, exc.InterfaceError) as error:
        message = f"{what}: {error.orig}"
        raise TransientError(message) from error
    except exc.TimeoutError as error:
        message = f"{what}: {error}"
        raise TransientError(message) from error


def reflect_table(connection: Connection, name: str, columns: Sequence[str], *, hint: str) -> Table:
    """The table as the database has it; a missing table or column is fatal (`hint` says what
    to do about it)."""
    import sqlalchemy  # noqa: PLC0415
    from sqlalchemy import exc  # noqa: PLC0415

    try:
        table = sqlalchemy.Table(name, sqlalchemy.MetaData(), autoload_with=connection)
    except exc.NoSuchTableError as error:
        message = f"table {name!r} does not exist; {hint}"
        raise FatalError(message) from error
    missing = ", ".join(repr(column) for column in columns if column not in table.c)
    if missing:
        message = f"table {name!r} has no column {missing}; {hint}"
        raise FatalError(message)
    return table


def _expired_condition(
    connection: Connection, table: Table, column: str, cutoff: datetime.datetime
) -> ColumnElement[bool]:
    """`column < cutoff`, comparing times rather than strings whatever the storage."""
    import sqlalchemy  # noqa: PLC0415

    stored = table.c[column]
    if connection.dialect.name == "sqlite":
        # SQLite keeps times as text in several ISO forms; julianday() reads them all, and a
        # value it cannot read is NULL, which never matches.
        bound = sqlalchemy.bindparam("cutoff", cutoff.isoformat(), type_=sqlalchemy.String)
        return sqlalchemy.func.julianday(stored) < sqlalchemy.func.julianday(bound)
    if not isinstance(stored.type, sqlalchemy.DateTime | sqlalchemy.Date):
        message = (
            f"column {column!r} is not a date/time column ({stored.type}); fix TimestampColumn"
        )
        raise FatalError(message)
    if isinstance(stored.type, sqlalchemy.DateTime) and not stored.type.timezone:
        cutoff = cutoff.astimezone(datetime.UTC).replace(tzinfo=None)
    return stored < sqlalchemy.bindparam("cutoff", cutoff, type_=stored.type)
