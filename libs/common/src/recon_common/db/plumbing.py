"""Tables that every service keeps for reliable messaging.

Each service declares its own concrete classes from these mixins on its own
`DeclarativeBase`, so the tables live in the service's database and migrations.
"""

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from recon_common.db.types import UtcDateTime


class ProcessedEventMixin:
    """The id of every event a consumer group has applied: a redelivery is a no-op."""

    __tablename__ = "processed_events"

    if TYPE_CHECKING:
        # The declarative base of the concrete class provides this constructor.
        def __init__(self, **columns: Any) -> None: ...

    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    consumer_group: Mapped[str] = mapped_column(String(200), primary_key=True)
    topic: Mapped[str] = mapped_column(String(200))
    processed_at: Mapped[datetime] = mapped_column(UtcDateTime())


class OutboxMessageMixin:
    """An event written in the same transaction as the change it announces.

    The outbox relay publishes rows in `position` order after the transaction commits
    and stamps `published_at`, so a crash between the commit and the send delays an
    event but never loses it.
    """

    __tablename__ = "outbox_messages"

    if TYPE_CHECKING:

        def __init__(self, **columns: Any) -> None: ...

    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    topic: Mapped[str] = mapped_column(String(200))
    message_key: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    trace_parent: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)
