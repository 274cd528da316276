"""The `file-landed` handler parsing a downloaded copy of the file as a stream."""

import stat
from pathlib import Path

import pytest
from recon_common.events import FileStatus
from recon_common.storage import ObjectIntegrityError
from recon_ingest.parsers import parse_file
from recon_ingest.parsing.workspace import create_private_file, parse_workspace

from .camt_files import CamtStatement, camt053
from .conftest import Ingest

FIRST = CamtStatement(number=1, entries=1234)
SECOND = CamtStatement(number=2, entries=7)


async def test_camt_chunks_match_parse_file(ingest: Ingest, tmp_path: Path) -> None:
    data = camt053(FIRST, SECOND)

    row = await ingest.land_and_parse(
        "statement.xml", data, chunk_size=500, parse_temp_path=tmp_path / "work"
    )

    chunks = await ingest.published(row.file_id)
    expected = parse_file(
        data, filename="statement.xml", file_id=row.file_id, bank_id=row.bank_id
    )
    published = [t for chunk in chunks for t in chunk["transactions"]]
    assert row.status == FileStatus.PARSED.value
    assert row.transaction_count == 1241
    assert [chunk["chunk_index"] for chunk in chunks] == [0, 1, 2]
    assert {chunk["chunk_count"] for chunk in chunks} == {3}
    assert [len(chunk["transactions"]) for chunk in chunks] == [500, 500, 241]
    assert len(chunks[0]["statements"]) == 2
    assert chunks[1]["statements"] == []
    assert published == [t.model_dump(mode="json") for t in expected.transactions]


async def test_file_without_transactions_one_chunk(
    ingest: Ingest, tmp_path: Path
) -> None:
    empty = CamtStatement(number=3, entries=0)

    row = await ingest.land_and_parse(
        "empty.xml", camt053(empty), parse_temp_path=tmp_path / "work"
    )

    chunks = await ingest.published(row.file_id)
    assert row.status == FileStatus.PARSED.value
    assert len(chunks) == 1
    assert chunks[0]["chunk_count"] == 1
    assert chunks[0]["transactions"] == []
    assert len(chunks[0]["statements"]) == 1


async def test_temp_folder_empty_after_parse(ingest: Ingest, tmp_path: Path) -> None:
    work = tmp_path / "work"

    row = await ingest.land_and_parse(
        "statement.xml", camt053(SECOND), parse_temp_path=work
    )

    assert row.status == FileStatus.PARSED.value
    assert list(work.iterdir()) == []


async def test_temp_folder_empty_after_rejection(
    ingest: Ingest, tmp_path: Path
) -> None:
    work = tmp_path / "work"
    wrong = camt053(SECOND).replace(b"<Stmt>", b"<Stmt><Broken>", 1)

    row = await ingest.land_and_parse("broken.xml", wrong, parse_temp_path=work)

    assert row.status == FileStatus.REJECTED.value
    assert list(work.iterdir()) == []


async def test_late_rejection_publishes_no_transactions(
    ingest: Ingest, tmp_path: Path
) -> None:
    data = camt053(FIRST, SECOND).replace(b"</Document>", b"</Documen>")

    row = await ingest.land_and_parse(
        "cut.xml", data, chunk_size=100, parse_temp_path=tmp_path / "work"
    )

    chunks = await ingest.published(row.file_id)
    assert row.status == FileStatus.REJECTED.value
    assert len(chunks) == 1
    assert chunks[0]["transactions"] == []


async def test_replaced_object_not_parsed(ingest: Ingest, tmp_path: Path) -> None:
    work = tmp_path / "work"
    row = await ingest.land("statement.xml", camt053(SECOND))
    await ingest.store.put(row.object_key, camt053(FIRST))

    with pytest.raises(ObjectIntegrityError, match="SHA-256"):
        await ingest.parse(row, parse_temp_path=work)

    after = await ingest.file(row.file_id)
    assert after.status == FileStatus.LANDED.value
    assert await ingest.published(row.file_id) == []
    assert list(work.iterdir()) == []


async def test_repeated_camt_statement_skipped(ingest: Ingest, tmp_path: Path) -> None:
    work = tmp_path / "work"
    await ingest.land_and_parse("first.xml", camt053(SECOND), parse_temp_path=work)

    row = await ingest.land_and_parse(
        "both.xml",
        camt053(SECOND, FIRST),
        duplicate_statements="skip",
        chunk_size=500,
        parse_temp_path=work,
    )

    chunks = await ingest.published(row.file_id)
    published = [t for chunk in chunks for t in chunk["transactions"]]
    assert row.status == FileStatus.PARSED.value
    assert row.transaction_count == 1234
    assert [len(chunk["transactions"]) for chunk in chunks] == [500, 500, 234]
    assert {chunk["chunk_count"] for chunk in chunks} == {3}
    assert {t["statement_id"] for t in published} == {"STMT00000001"}
    assert published[0]["transaction_id"] == f"{row.file_id}:8"
    assert [s["statement_id"] for s in chunks[0]["statements"]] == ["STMT00000001"]


async def test_parse_workspace_is_private(tmp_path: Path) -> None:
    async with parse_workspace(tmp_path / "work") as folder:
        copy = folder / "landed"
        create_private_file(copy)
        folder_mode = stat.S_IMODE(folder.stat().st_mode)
        file_mode = stat.S_IMODE(copy.stat().st_mode)

    assert folder_mode == 0o700
    assert file_mode == 0o600
    assert not folder.exists()


async def test_parse_workspace_deleted_on_error(tmp_path: Path) -> None:
    folders: list[Path] = []

    with pytest.raises(RuntimeError, match="parse failed"):
        async with parse_workspace(tmp_path / "work") as folder:
            folders.append(folder)
            (folder / "landed").write_bytes(b"statement")
            raise RuntimeError("parse failed")

    assert len(folders) == 1
    assert not folders[0].exists()
