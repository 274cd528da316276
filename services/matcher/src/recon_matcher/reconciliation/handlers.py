"""Kafka handler of `transactions-parsed`."""

from collections.abc import Awaitable, Callable

from recon_common.events import Envelope, TransactionsParsed
from sqlalchemy.ext.asyncio import AsyncSession

from recon_matcher.definitions import Definition
from recon_matcher.reconciliation.service import apply_chunk
from recon_matcher.settings import MatcherSettings


def make_transactions_parsed_handler(
    *, settings: MatcherSettings, definitions: list[Definition]
) -> Callable[[AsyncSession, Envelope], Awaitable[None]]:
    """Return the handler that stores, matches and publishes each chunk."""

    async def handle(session: AsyncSession, envelope: Envelope) -> None:
        chunk = envelope.payload(TransactionsParsed)
        await apply_chunk(
            session, chunk=chunk, definitions=definitions, settings=settings
        )

    return handle
