"""Uploads that cannot be stored because the bank's key is disabled.

The key broker is the real app, and the key is disabled through its API, so the
refusal is the broker's own `KeyDisabled` error.
"""

import asyncssh
import pytest
from recon_ingest.sftp.server import STORE_FAILED_MESSAGE
from structlog.testing import capture_logs

from tests.ingest.sftp.conftest import STATEMENT_USER, SftpIngest

pytestmark = [pytest.mark.kafka]

STATEMENT = (
    b":20:STORE-CHECK\r\n:25:DE89370400440532013000\r\n:28C:1/1\r\n"
    b":60F:C261203EUR100,00\r\n:61:2612031203C5,00NTRFREF1//B1\r\n"
    b":62F:C261203EUR105,00\r\n"
)


async def test_upload_disabled_key_fails_with_message(
    sftp_ingest: SftpIngest,
) -> None:
    key_id = await sftp_ingest.set_key_state("disable")

    with pytest.raises(asyncssh.SFTPFailure) as failure:
        await sftp_ingest.upload(STATEMENT_USER, "statement.sta", STATEMENT)

    assert failure.value.reason == STORE_FAILED_MESSAGE
    assert key_id not in failure.value.reason
    assert "contact the platform team" in failure.value.reason


async def test_upload_disabled_key_logs_one_error(sftp_ingest: SftpIngest) -> None:
    await sftp_ingest.set_key_state("disable")

    with capture_logs() as logs, pytest.raises(asyncssh.SFTPFailure):
        await sftp_ingest.upload(STATEMENT_USER, "statement.sta", STATEMENT)

    errors = [entry for entry in logs if entry["log_level"] == "error"]
    assert len(errors) == 1
    assert errors[0]["event"] == "sftp.upload.store_failed"
    assert errors[0]["filename"] == "statement.sta"
    assert errors[0]["user"] == STATEMENT_USER
    assert errors[0]["reason"] == "KeyDisabled"
    assert errors[0]["file_id"]


async def test_upload_disabled_key_leaves_nothing(sftp_ingest: SftpIngest) -> None:
    await sftp_ingest.set_key_state("disable")
    sftp_root = sftp_ingest.settings.sftp_root

    with pytest.raises(asyncssh.SFTPFailure):
        await sftp_ingest.upload(STATEMENT_USER, "statement.sta", STATEMENT)

    assert list((sftp_root / ".landing").iterdir()) == []
    assert list((sftp_root / "home" / STATEMENT_USER).iterdir()) == []
    assert await sftp_ingest.files() == []
    assert "file.upload_rejected" in await sftp_ingest.audit_actions()


async def test_upload_retry_after_enable_lands_once(
    sftp_ingest: SftpIngest,
) -> None:
    await sftp_ingest.set_key_state("disable")
    with pytest.raises(asyncssh.SFTPFailure):
        await sftp_ingest.upload(STATEMENT_USER, "statement.sta", STATEMENT)
    await sftp_ingest.set_key_state("enable")

    await sftp_ingest.upload(STATEMENT_USER, "statement.sta", STATEMENT)

    row = await sftp_ingest.parsed_or_rejected("statement.sta")
    assert row.status == "parsed"
    assert row.transaction_count == 1
    # No copy of the failed upload waits to land a second time at the next start.
    queue = sftp_ingest.settings.sftp_root / ".landing"
    assert list(queue.iterdir()) == []
