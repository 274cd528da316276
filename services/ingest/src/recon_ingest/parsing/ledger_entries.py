"""Keep ledger entries that an earlier file already posted from being posted again.

A ledger entry is a transaction of record kind `ledger` with a bank reference, which
the built-in `ledger` CSV profile reads from the `entry_id` column. Its identity is
the bank, the account and the entry id. Transactions of statement files, and ledger
rows without an entry id, are never checked and are always posted.

An entry that an earlier file posted is left out of the new file. If its compared
fields (`COMPARED_FIELDS`) are the same, it is a repeat and one summary warning
counts the repeats. If they differ, it is an amendment that the platform cannot apply
to a posted entry, and it gets a warning of its own (the first `MAX_LISTED`, then a
count). An entry id on two rows of one file is posted twice, as a statement repeated
inside one file is, and a warning lists it. Both rows are left out if an earlier file
posted the entry.

The parser thread fills a `LedgerIndex` while it spools the transactions. It keeps
hashes, not the entries: about 260 bytes per entry (tracemalloc, 100,000 entries).
`check_entries` then looks the index up in batches of 500 keys, and `record_posted`
inserts the posted entries into `posted_ledger_entries` chunk by chunk, in the
transaction that marks the file parsed. The table is unique per bank and entry key,
so of two files that post the same entry at once, the later insert or commit fails
and the consumer's retry skips the entry.
"""

import hashlib
import json
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import structlog
from recon_common.events import Direction, RecordKind, Transaction
from sqlalchemy.ext.asyncio import AsyncSession

from recon_ingest.models import LandedFile
from recon_ingest.parsers import CsvProfile
from recon_ingest.parsing import repository

if TYPE_CHECKING:
    from recon_ingest.parsing.workspace import TransactionSpool

log = structlog.get_logger(__name__)

# Transaction fields that must be equal for a posted entry to count as a repeat.
COMPARED_FIELDS = (
    "currency",
    "amount",
    "direction",
    "reversal",
    "value_date",
    "booking_date",
    "customer_reference",
    "end_to_end_id",
    "counterparty_name",
    "counterparty_account",
    "remittance_info",
    "bank_transaction_code",
)
# Fields whose earlier and new values a warning shows. The others are only named,
# because they can contain names and account numbers.
_SHOWN_FIELDS = frozenset(
    {"currency", "amount", "direction", "reversal", "value_date", "booking_date"}
)
_AMOUNT_INDEX = COMPARED_FIELDS.index("amount")
_DIRECTION_INDEX = COMPARED_FIELDS.index("direction")
# Maximum number of changed entries with a warning each, and of entry ids or files
# named in one list.
MAX_LISTED = 10


def entry_key(transaction: Transaction) -> bytes | None:
    """Return the SHA-256 of the account and entry id of a ledger entry, else None."""
    if transaction.record_kind != RecordKind.LEDGER or not transaction.bank_reference:
        return None
    identity = f"{transaction.account}\x1f{transaction.bank_reference}"
    return hashlib.sha256(identity.encode()).digest()


def entry_content(transaction: Transaction) -> str:
    """Return the compared fields of `transaction` as a JSON array of text or null.

    The array follows `COMPARED_FIELDS`. Its SHA-256 is the entry's content hash, so
    changing `COMPARED_FIELDS` makes every posted entry look changed.
    """
    t = transaction
    values = [
        t.currency,
        str(t.amount),
        str(t.direction.value),
        "true" if t.reversal else "false",
        t.value_date.isoformat(),
        None if t.booking_date is None else t.booking_date.isoformat(),
        t.customer_reference,
        t.end_to_end_id,
        t.counterparty_name,
        t.counterparty_account,
        t.remittance_info,
        t.bank_transaction_code,
    ]
    return json.dumps(values, ensure_ascii=False, separators=(",", ":"))


def content_sha256(content: str) -> bytes:
    """Return the SHA-256 of an `entry_content` text."""
    return hashlib.sha256(content.encode()).digest()


class LedgerIndex:
    """Entry keys of one file, filled by the parser thread while it spools.

    Plain dictionaries of bytes and integers, which the garbage collector does not
    track, so the index does not slow down the collections during the parse.
    """

    def __init__(self) -> None:
        # First 0-based position and content hash of each entry key.
        self.positions: dict[bytes, int] = {}
        self.contents: dict[bytes, bytes] = {}
        # Row counts of the keys on more than one row.
        self.repeats: dict[bytes, int] = {}
        # Entry ids on more than one row, the first MAX_LISTED of them.
        self.repeated_ids: list[str] = []

    def add(self, position: int, transaction: Transaction) -> None:
        """Index the transaction at 0-based `position` if it is a ledger entry."""
        key = entry_key(transaction)
        if key is None:
            return
        if key not in self.positions:
            self.positions[key] = position
            self.contents[key] = content_sha256(entry_content(transaction))
            return
        count = self.repeats.get(key, 1) + 1
        self.repeats[key] = count
        if count == 2 and len(self.repeated_ids) < MAX_LISTED:
            self.repeated_ids.append(str(transaction.bank_reference))

    def rows(self, key: bytes) -> int:
        """Return on how many rows of the file the entry key appears."""
        return self.repeats.get(key, 1)


@dataclass(frozen=True)
class LedgerCheck:
    """The entries of a file that earlier files posted, and the warnings about them."""

    skipped_keys: frozenset[bytes]
    skipped_count: int
    warnings: list[str]

    def keeps(self, transaction: Transaction) -> bool:
        """Return whether `transaction` is posted, that is, not posted earlier."""
        if not self.skipped_keys:
            return True
        return entry_key(transaction) not in self.skipped_keys


async def check_entries(
    session: AsyncSession,
    *,
    bank_id: str,
    file_id: str,
    spool: "TransactionSpool",
    index: LedgerIndex,
    profile: CsvProfile,
) -> LedgerCheck:
    """Find the entries of the file that other files posted and describe them.

    `profile` is the CSV profile that read the file, so that warnings show amounts
    with the sign or mark that the file uses.
    """
    keys = list(index.positions)
    posted = await repository.find_posted_ledger_entries(
        session,
        bank_id=bank_id,
        entry_keys=[key.hex() for key in keys],
        exclude_file_id=file_id,
    )
    repeats: list[tuple[bytes, str]] = []
    changes: list[tuple[bytes, str]] = []
    for key in keys:
        earlier = posted.get(key.hex())
        if earlier is None:
            continue
        earlier_content, earlier_file_id = earlier
        same = bytes.fromhex(earlier_content) == index.contents[key]
        (repeats if same else changes).append((key, earlier_file_id))
    warnings = _in_file_warnings(index)
    if not repeats and not changes:
        return LedgerCheck(frozenset(), 0, warnings)

    files = await repository.get_files(
        session, file_ids={file_id for _, file_id in repeats + changes}
    )
    repeated_rows = sum(index.rows(key) for key, _ in repeats)
    changed_rows = sum(index.rows(key) for key, _ in changes)
    summary = _summary(
        total=spool.count,
        repeated_rows=repeated_rows,
        changed_rows=changed_rows,
        earlier_files=[files[file_id] for file_id in {f for _, f in repeats}],
    )
    change_warnings = await _change_warnings(
        session,
        bank_id=bank_id,
        spool=spool,
        index=index,
        changes=changes,
        files=files,
        profile=profile,
    )
    log.warning(
        "parse.ledger_entries.skipped",
        file_id=file_id,
        repeated=repeated_rows,
        changed=changed_rows,
        earlier_file_ids=sorted(files),
    )
    return LedgerCheck(
        skipped_keys=frozenset(key for key, _ in repeats + changes),
        skipped_count=repeated_rows + changed_rows,
        warnings=[summary, *change_warnings, *warnings],
    )


def _summary(
    *,
    total: int,
    repeated_rows: int,
    changed_rows: int,
    earlier_files: list[LandedFile],
) -> str:
    new = total - repeated_rows - changed_rows
    if changed_rows == 0 and new == 0:
        return (
            f"{_entries(total)}, all already received in "
            f"{_name_files(earlier_files)}, "
            "so no entry was posted again"
        )
    parts = [_entries(total)]
    if repeated_rows:
        parts.append(
            f"{repeated_rows} already received in {_name_files(earlier_files)}"
        )
    if changed_rows:
        parts.append(
            f"{changed_rows} received earlier with other values and not posted "
            "(see the next warnings)"
        )
    parts.append(f"{new} new")
    if new == 0:
        return ", ".join(parts) + "; nothing was posted"
    return ", ".join(parts) + ". Only the new entries were posted"


def _entries(count: int) -> str:
    return f"{count} entry" if count == 1 else f"{count} entries"


def _name_files(files: list[LandedFile]) -> str:
    ordered = sorted(files, key=lambda row: (row.landed_at, row.file_id))
    names = [f"{row.filename} ({row.file_id})" for row in ordered[:MAX_LISTED]]
    if len(ordered) > MAX_LISTED:
        names.append(f"{len(ordered) - MAX_LISTED} more files")
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]


async def _change_warnings(
    session: AsyncSession,
    *,
    bank_id: str,
    spool: "TransactionSpool",
    index: LedgerIndex,
    changes: list[tuple[bytes, str]],
    files: dict[str, LandedFile],
    profile: CsvProfile,
) -> list[str]:
    listed = changes[:MAX_LISTED]
    earlier = await repository.find_posted_ledger_contents(
        session, bank_id=bank_id, entry_keys=[key.hex() for key, _ in listed]
    )
    current = await spool.read_positions({index.positions[key] for key, _ in listed})
    warnings: list[str] = []
    for key, file_id in listed:
        transaction = current[index.positions[key]]
        earlier_content, earlier_location = earlier[key.hex()]
        fields = _differences(json.loads(earlier_content), transaction, profile)
        earlier_file = files[file_id]
        warnings.append(
            f"{transaction.source_location}: entry {transaction.bank_reference} was "
            f"already posted from {earlier_file.filename} ({file_id}) at "
            f"{earlier_location} with a different {fields}, so it was not posted "
            "again, because a posted entry cannot be changed. Work the break of the "
            "earlier entry, or send a reversal of it and the corrected entry under "
            "a new entry id"
        )
    if len(changes) > MAX_LISTED:
        warnings.append(
            f"{len(changes) - MAX_LISTED} more entries were already posted with "
            "other values and were not posted again; the warnings above list the "
            f"first {MAX_LISTED}"
        )
    return warnings


def _differences(
    earlier: list[str | None], transaction: Transaction, profile: CsvProfile
) -> str:
    current = json.loads(entry_content(transaction))
    described: list[str] = []
    for name, before, after in zip(COMPARED_FIELDS, earlier, current, strict=True):
        if before == after:
            continue
        if name == "amount":
            was = _amount_as_in_file(earlier, profile)
            now = _amount_as_in_file(current, profile)
            described.append(f"amount (was {was}, now {now})")
        elif name in _SHOWN_FIELDS:
            described.append(f"{name} (was {before}, now {after})")
        else:
            described.append(name)
    return ", ".join(described)


def _amount_as_in_file(content: list[str | None], profile: CsvProfile) -> str:
    """Return the amount of an `entry_content` array as the profile's file shows it.

    A single signed amount column gets its sign, so a debit reads -30.20 under the
    `credit_positive` convention. A file with a direction column or separate debit
    and credit columns shows the amount unsigned, so the direction is named.
    """
    amount = str(content[_AMOUNT_INDEX])
    direction = str(content[_DIRECTION_INDEX])
    if profile.amount_column is None or profile.direction_column is not None:
        return f"{amount} {direction}"
    if profile.sign_convention == "debit_positive":
        negative = Direction.CREDIT.value
    else:
        negative = Direction.DEBIT.value
    if direction == negative and Decimal(amount) != 0:
        return f"-{amount}"
    return amount


def _in_file_warnings(index: LedgerIndex) -> list[str]:
    repeated = len(index.repeats)
    if repeated == 0:
        return []
    count = "1 entry id appears" if repeated == 1 else f"{repeated} entry ids appear"
    ids = ", ".join(index.repeated_ids)
    if repeated > len(index.repeated_ids):
        ids += f" and {repeated - len(index.repeated_ids)} more"
    return [
        f"{count} on more than one row of this file ({ids}). These rows were "
        "posted unless an earlier file had posted the entry, so check whether the "
        "ledger exported a row twice"
    ]


async def record_posted(
    session: AsyncSession,
    chunks: AsyncGenerator[list[Transaction], None],
    *,
    bank_id: str,
    file_id: str,
    index: LedgerIndex,
) -> AsyncGenerator[list[Transaction], None]:
    """Yield `chunks` unchanged, inserting each chunk's new entries before it.

    An entry id that appears on several rows is inserted once, for its first row.
    """
    now = datetime.now(UTC)
    inserted_repeats: set[bytes] = set()
    async for chunk in chunks:
        rows: list[dict[str, object]] = []
        for transaction in chunk:
            key = entry_key(transaction)
            if key is None:
                continue
            if key in index.repeats:
                if key in inserted_repeats:
                    continue
                inserted_repeats.add(key)
            rows.append(
                {
                    "bank_id": bank_id,
                    "entry_key": key.hex(),
                    "entry_id": str(transaction.bank_reference)[:255],
                    "content_sha256": index.contents[key].hex(),
                    "content": entry_content(transaction),
                    "file_id": file_id,
                    "source_location": transaction.source_location[:200],
                    "posted_at": now,
                }
            )
        await repository.add_posted_ledger_entries(session, rows=rows)
        yield chunk
