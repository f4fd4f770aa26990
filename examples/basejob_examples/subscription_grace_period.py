"""SubscriptionGracePeriodJob: the seed's hourly downgrade of subscriptions whose grace ended.

It exists as the example of a tenant-scoped job: it acts only for `ctx.tenant_id` and refuses
to run as a system job. In one transaction it downgrades that tenant's subscriptions in status
`grace_period` whose grace period ended before the fire time; a downgraded subscription is no
longer in `grace_period`, so running again changes nothing. It uses SQLAlchemy Core, so any
database SQLAlchemy reaches will do (SQLite by default).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from basejob.context import JobContext
from basejob.errors import FatalError
from basejob.job import BaseJob
from basejob_examples.data_cleanup import (
    check_database_url,
    open_engine,
    reflect_table,
    transient_database_errors,
)

if TYPE_CHECKING:
    from sqlalchemy import Connection, MetaData, Table

TABLE = "subscriptions"
COLUMNS = ("id", "tenant_id", "plan", "status", "grace_period_ends_at")
IN_GRACE_PERIOD = "grace_period"
DOWNGRADED = "downgraded"


class SubscriptionGracePeriodParameters(BaseModel):
    """Where the subscriptions are and what an expired one becomes."""

    model_config = ConfigDict(extra="forbid")

    DatabaseUrl: str = Field(
        default="sqlite:////tmp/subscriptions.db",
        description="SQLAlchemy URL of the database holding the `subscriptions` table.",
    )
    DowngradePlan: str = Field(
        default="free",
        min_length=1,
        max_length=64,
        description="Plan a subscription gets when its grace period has ended.",
    )
    CreateSchema: bool = Field(
        default=False,
        description="Create the `subscriptions` table when it is missing (otherwise a missing "
        "table or SQLite file fails the run as fatal).",
    )

    @field_validator("DatabaseUrl")
    @classmethod
    def _parseable_url(cls, value: str) -> str:
        check_database_url(value)
        return value


@dataclass(frozen=True)
class Downgrade:
    """One subscription this run downgraded."""

    subscription_id: Any
    from_plan: str
    grace_period_ended_at: datetime.datetime


class SubscriptionGracePeriodJob(BaseJob):
    """Downgrades a tenant's subscriptions whose grace period has ended."""

    Parameters = SubscriptionGracePeriodParameters

    async def execute(self, ctx: JobContext[SubscriptionGracePeriodParameters]) -> None:
        """Downgrade the tenant's expired subscriptions in one transaction, then report them."""
        if ctx.tenant_id is None:
            message = (
                f"{ctx.job_name} needs a tenant: it downgrades one tenant's subscriptions; "
                "set context.tenantId on the ScheduledJob (or --tenant locally)"
            )
            raise FatalError(message)
        counter = ctx.metrics.counter(
            "subscriptions_downgraded_total",
            "Subscriptions downgraded because their grace period ended.",
        )
        engine = open_engine(
            ctx.data.DatabaseUrl,
            create=ctx.data.CreateSchema,
            hint="fix DatabaseUrl or set CreateSchema=true",
        )
        try:
            with (
                transient_database_errors("could not process subscriptions"),
                engine.begin() as connection,
            ):
                table = _subscriptions(connection, create=ctx.data.CreateSchema)
                downgrades = _downgrade_expired(
                    ctx, connection, table, ctx.tenant_id, ctx.data.DowngradePlan
                )
        finally:
            engine.dispose()
        for downgrade in downgrades:
            ctx.logger.info(
                "Downgraded subscription",
                subscription_id=downgrade.subscription_id,
                from_plan=downgrade.from_plan,
                to_plan=ctx.data.DowngradePlan,
                grace_period_ended_at=downgrade.grace_period_ended_at.isoformat(),
            )
        counter.inc(len(downgrades))
        ctx.logger.info(
            "Processed expired grace periods",
            downgraded=len(downgrades),
            tenant_id=ctx.tenant_id,
            to_plan=ctx.data.DowngradePlan,
        )


def _subscriptions(connection: Connection, *, create: bool) -> Table:
    """The `subscriptions` table as it is in the database (created first when asked)."""
    if create:
        _schema().create_all(connection, checkfirst=True)
    hint = f"the job needs {TABLE}({', '.join(COLUMNS)}); create it or set CreateSchema=true"
    return reflect_table(connection, TABLE, COLUMNS, hint=hint)


def _schema() -> MetaData:
    """The table this job creates with CreateSchema=true."""
    import sqlalchemy as sa  # noqa: PLC0415

    metadata = sa.MetaData()
    sa.Table(
        TABLE,
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("tenant_id", sa.String(64), nullable=False, index=True),
        sa.Column("plan", sa.String(64), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("grace_period_ends_at", sa.DateTime(timezone=True)),
    )
    return metadata


def _downgrade_expired(
    ctx: JobContext[Any], connection: Connection, table: Table, tenant_id: str, plan: str
) -> list[Downgrade]:
    """Find the tenant's subscriptions whose grace ended before the fire time; downgrade them."""
    import sqlalchemy as sa  # noqa: PLC0415

    tenant = _tenant_value(table, tenant_id)
    in_grace = sa.and_(table.c.tenant_id == tenant, table.c.status == IN_GRACE_PERIOD)
    # The end is read raw (text in SQLite, a datetime elsewhere) and parsed here, so every
    # ISO form compares as a time, never as a string.
    ends_at = sa.type_coerce(table.c.grace_period_ends_at, sa.types.NullType())
    rows = connection.execute(sa.select(table.c.id, table.c.plan, ends_at).where(in_grace))
    downgrades = _expired(ctx, rows.all(), ctx.fire_time)
    if downgrades:
        ids = [downgrade.subscription_id for downgrade in downgrades]
        connection.execute(
            sa.update(table)
            .where(in_grace, table.c.id.in_(ids))
            .values(plan=plan, status=DOWNGRADED)
        )
    return downgrades


def _tenant_value(table: Table, tenant_id: str) -> str | int:
    """The tenant ID typed as the column is (tenant IDs arrive as text)."""
    import sqlalchemy as sa  # noqa: PLC0415

    if not isinstance(table.c.tenant_id.type, sa.Integer):
        return tenant_id
    try:
        return int(tenant_id)
    except ValueError as error:
        message = f"tenant {tenant_id!r} is not an integer, but {TABLE}.tenant_id is"
        raise FatalError(message) from error


def _expired(ctx: JobContext[Any], rows: Sequence[Any], now: datetime.datetime) -> list[Downgrade]:
    expired = []
    for subscription_id, plan, raw_end in rows:
        ended = _parse_time(raw_end)
        if ended is None:
            ctx.logger.warning(
                "Skipped subscription without a readable grace period end",
                subscription_id=subscription_id,
                grace_period_ends_at=None if raw_end is None else str(raw_end),
            )
        elif ended < now:
            expired.append(Downgrade(subscription_id, str(plan), ended))
    return expired


def _parse_time(value: object) -> datetime.datetime | None:
    """A stored time as an aware datetime (naive ones are UTC); None when unreadable."""
    if isinstance(value, datetime.datetime):
        moment = value
    elif isinstance(value, datetime.date):
        moment = datetime.datetime.combine(value, datetime.time.min)
    elif isinstance(value, str):
        try:
            moment = datetime.datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    else:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=datetime.UTC)
