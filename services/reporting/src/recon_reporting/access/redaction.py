"""Redaction of account numbers, IBANs and counterparty accounts.

Roles outside `UNREDACTED_ROLES` see only the last characters of such a value. For
the others, `AccountMasker` records which resources were shown in full, so the
endpoint can write one `sensitive.read` audit event per response.
"""

from recon_reporting.auth.roles import sees_unredacted
from recon_reporting.auth.users import User

MASK = "••••"


def redact(value: str, *, visible_chars: int) -> str:
    """Return `value` with all but its last `visible_chars` characters masked."""
    compact = value.replace(" ", "")
    if visible_chars <= 0:
        return MASK
    if len(compact) <= visible_chars:
        # Too short to show a tail without showing the whole value.
        return MASK
    return MASK + compact[-visible_chars:]


class AccountMasker:
    """Show or redact sensitive fields for one user and remember what was shown."""

    def __init__(self, user: User, *, visible_chars: int) -> None:
        self.user = user
        self.unredacted = sees_unredacted(user.role)
        self._visible_chars = visible_chars
        self.revealed: dict[str, set[str]] = {}

    @property
    def visible_chars(self) -> int:
        """Characters at the end of a redacted value that this user is shown."""
        return self._visible_chars

    def show(self, value: str | None, *, resource_id: str, field: str) -> str | None:
        """Return `value` as this user may see it."""
        if value is None or value == "":
            return value
        if not self.unredacted:
            return redact(value, visible_chars=self._visible_chars)
        self.revealed.setdefault(resource_id, set()).add(field)
        return value
