"""SQL of bank keys."""

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from recon_keyvault.models import BankKey, KeyState


async def get_current_key(
    session: AsyncSession, *, bank_id: str, lock: bool = False
) -> BankKey | None:
    """Return the bank's current key, if it has one.

    With `lock`, the row stays locked (`SELECT ... FOR UPDATE`) until the
    transaction ends, so concurrent rotations take turns. SQLite ignores the lock
    and serializes writing transactions instead.
    """
    query = select(BankKey).where(BankKey.current_for_bank == bank_id)
    if lock:
        query = query.with_for_update()
    return await session.scalar(query)


async def get_pending_successor(
    session: AsyncSession, *, key_id: str
) -> BankKey | None:
    """Return a successor of the key that still waits for its imported material."""
    return await session.scalar(
        select(BankKey)
        .where(
            BankKey.rotated_from_key_id == key_id,
            BankKey.state == KeyState.PENDING_IMPORT,
            BankKey.current_for_bank.is_(None),
        )
        .order_by(BankKey.created_at, BankKey.key_id)
        .limit(1)
    )


async def get_key(
    session: AsyncSession, *, bank_id: str, key_id: str
) -> BankKey | None:
    """Return one of the bank's keys by id."""
    return await session.scalar(
        select(BankKey).where(BankKey.bank_id == bank_id, BankKey.key_id == key_id)
    )


async def list_keys(session: AsyncSession, *, bank_id: str) -> Sequence[BankKey]:
    """Return the bank's keys, oldest first."""
    return (
        await session.scalars(
            select(BankKey)
            .where(BankKey.bank_id == bank_id)
            .order_by(BankKey.created_at, BankKey.key_id)
        )
    ).all()
