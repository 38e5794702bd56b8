"""Bounded tables: the rows whose timestamp is older than a cutoff are deleted, a batch at a time.

Each batch is one short transaction that selects at most `batch_size` primary keys through the index
on the timestamp and deletes them, so pruning never holds many row locks or a long transaction next to
the consumers. On PostgreSQL a batch skips the rows another replica's batch holds (`SKIP LOCKED`), so
replicas pruning at once do not wait for each other. The inbox pruning (`inbox_pruning`) and pd-sync's
shift retention use it; the timestamp column needs an index for the batches to stay cheap.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from sqlalchemy import Column, Table, select, tuple_
from sqlalchemy.ext.asyncio import AsyncEngine


async def delete_older_than(
    engine: AsyncEngine, column: Column[datetime], cutoff: datetime, *, batch_size: int
) -> int:
    """Delete every row of `column`'s table with `column < cutoff`, `batch_size` rows per transaction;
    returns how many were deleted."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    table = column.table
    assert isinstance(table, Table), "a column of a table"
    key = list(table.primary_key.columns)
    pruned = 0
    while True:
        oldest = select(*key).where(column < cutoff).limit(batch_size)
        async with engine.begin() as connection:
            if connection.dialect.name == "postgresql":  # another replica's batch is not waited for
                oldest = oldest.with_for_update(skip_locked=True)
            result = await connection.execute(table.delete().where(tuple_(*key).in_(oldest)))
        deleted = int(result.rowcount)
        pruned += deleted
        if deleted < batch_size:
            return pruned
        await asyncio.sleep(0)  # let the consumers' work run between batches
