"""Private files of one parse: the decrypted copy of a landed file and its spool.

Each parse gets its own folder, created by `tempfile.mkdtemp` with mode 0700 under
`INGEST_PARSE_TEMP_PATH`, and its files are created with mode 0600. The folder and
everything in it are deleted when the parse ends, also when it fails. A process that
is killed during a parse leaves its folder behind, so point the setting at a folder
that is emptied on restart (a Kubernetes `emptyDir`, for example).
"""

import asyncio
import os
import shutil
import tempfile
from collections import Counter
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Generator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import BinaryIO

import structlog
from recon_common.events import Transaction

from recon_ingest.parsing.ledger_entries import LedgerIndex

log = structlog.get_logger(__name__)

# Identity of the statement a transaction belongs to: account, id and sequence.
StatementKey = tuple[str, str | None, str | None]


@asynccontextmanager
async def parse_workspace(parent: Path | None) -> AsyncIterator[Path]:
    """Create a private folder for one parse and delete it when the block ends."""
    base = parent if parent is not None else Path(tempfile.gettempdir())
    folder = Path(
        await asyncio.to_thread(_make_private_folder, base, prefix="recon-parse-")
    )
    try:
        yield folder
    finally:
        await asyncio.to_thread(_remove_folder, folder)


def _make_private_folder(base: Path, *, prefix: str) -> str:
    base.mkdir(mode=0o700, parents=True, exist_ok=True)
    return tempfile.mkdtemp(prefix=prefix, dir=base)


def _remove_folder(folder: Path) -> None:
    def report(
        function: Callable[..., object], path: str, error: BaseException
    ) -> None:
        log.error(
            "parse.workspace.delete_failed",
            path=path,
            operation=getattr(function, "__name__", str(function)),
            error=str(error),
        )

    shutil.rmtree(folder, onexc=report)


def create_private_file(path: Path) -> None:
    """Create the empty file `path` with mode 0600; fail if it exists."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(descriptor)


class TransactionSpool:
    """Parsed transactions in a JSON-lines file, written once and then read back.

    The parser thread calls `write` with each batch, so no more than one batch is
    held in memory, and the handler reads the transactions back in chunks once the
    whole file has been checked. `write` also indexes the ledger entries in
    `ledger`.
    """

    def __init__(self, path: Path) -> None:
        self._path = path
        self._stream: BinaryIO | None = None
        self.count = 0
        # Transactions per statement key, to count what a skipped statement removes.
        self.key_counts: Counter[StatementKey] = Counter()
        self.ledger = LedgerIndex()

    def __enter__(self) -> "TransactionSpool":
        create_private_file(self._path)
        self._stream = self._path.open("wb")
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None

    def write(self, batch: list[Transaction]) -> None:
        """Append a batch of transactions to the spool file."""
        if self._stream is None:
            raise RuntimeError("the spool is not open for writing; use `with`")
        for position, transaction in enumerate(batch, start=self.count):
            self._stream.write(transaction.model_dump_json().encode())
            self._stream.write(b"\n")
            key = (
                transaction.account,
                transaction.statement_id,
                transaction.statement_sequence,
            )
            self.key_counts[key] += 1
            self.ledger.add(position, transaction)
        self.count += len(batch)

    async def read_positions(self, positions: set[int]) -> dict[int, Transaction]:
        """Return the transactions at the given 0-based positions, read in a thread."""
        return await asyncio.to_thread(self._read_positions, positions)

    def _read_positions(self, positions: set[int]) -> dict[int, Transaction]:
        found: dict[int, Transaction] = {}
        if not positions:
            return found
        with self._path.open("rb") as stream:
            for position, line in enumerate(stream):
                if position in positions:
                    found[position] = Transaction.model_validate_json(line)
                    if len(found) == len(positions):
                        break
        return found

    async def chunks(
        self, size: int, *, keeps: Callable[[int, Transaction], bool]
    ) -> AsyncGenerator[list[Transaction], None]:
        """Yield the transactions that `keeps` accepts, in file order, `size` at once.

        `keeps` receives each transaction's 0-based position in the spool. The file
        is read and the JSON validated in a worker thread.
        """
        reader = self._read_chunks(size, keeps=keeps)
        try:
            while (chunk := await asyncio.to_thread(next, reader, None)) is not None:
                yield chunk
        finally:
            reader.close()

    def _read_chunks(
        self, size: int, *, keeps: Callable[[int, Transaction], bool]
    ) -> Generator[list[Transaction], None, None]:
        chunk: list[Transaction] = []
        with self._path.open("rb") as stream:
            for position, line in enumerate(stream):
                transaction = Transaction.model_validate_json(line)
                if not keeps(position, transaction):
                    continue
                chunk.append(transaction)
                if len(chunk) == size:
                    yield chunk
                    chunk = []
        if chunk:
            yield chunk
