"""SQL of bank keys."""

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from recon_keyvault.models import BankKey


async def get_current_key(session: AsyncSession, *, bank_id: str) -> BankKey | None:
    """Return the bank's current key, if it has one."""
    return await session.scalar(
        select(BankKey).where(BankKey.current_for_bank == bank_id)
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
