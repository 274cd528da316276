"""SQL of key grants."""

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from recon_keyvault.models import KeyGrant


async def list_grants(
    session: AsyncSession, *, key_id: str, include_revoked: bool
) -> Sequence[KeyGrant]:
    """Return the key's grants, oldest first."""
    query = select(KeyGrant).where(KeyGrant.key_id == key_id)
    if not include_revoked:
        query = query.where(KeyGrant.revoked_at.is_(None))
    return (
        await session.scalars(query.order_by(KeyGrant.created_at, KeyGrant.grant_id))
    ).all()


async def get_grant(
    session: AsyncSession, *, key_id: str, grant_id: str
) -> KeyGrant | None:
    """Return one grant of the key by id, revoked or not."""
    return await session.scalar(
        select(KeyGrant).where(KeyGrant.key_id == key_id, KeyGrant.grant_id == grant_id)
    )
