"""Start-up recovery of queued uploads while the bank's key is disabled."""

import pytest
from recon_ingest.landing.service import Lander
from structlog.testing import capture_logs

from tests.ingest.sftp.conftest import STATEMENT_USER, SftpIngest

pytestmark = [pytest.mark.kafka]


async def test_recover_disabled_key_keeps_upload(sftp_ingest: SftpIngest) -> None:
    lander: Lander = sftp_ingest.app.state.lander
    part = sftp_ingest.settings.sftp_root / "left-by-crash.part"
    part.write_bytes(b":20:RECOVER\r\n")
    queued = lander.enqueue_upload(
        path=part, username=STATEMENT_USER, filename="recover.sta"
    )
    await sftp_ingest.set_key_state("disable")

    with capture_logs() as logs:
        landed = await lander.recover()

    assert landed == 0
    assert queued.path.exists()
    assert await sftp_ingest.files() == []
    errors = [entry for entry in logs if entry["log_level"] == "error"]
    assert [entry["event"] for entry in errors] == ["landing.recover.store_failed"]
    assert errors[0]["file_id"] == queued.file_id
    assert errors[0]["reason"] == "KeyDisabled"


async def test_recover_enabled_key_lands_kept_upload(
    sftp_ingest: SftpIngest,
) -> None:
    lander: Lander = sftp_ingest.app.state.lander
    part = sftp_ingest.settings.sftp_root / "left-by-crash.part"
    part.write_bytes(b":20:RECOVER\r\n")
    queued = lander.enqueue_upload(
        path=part, username=STATEMENT_USER, filename="recover.sta"
    )
    await sftp_ingest.set_key_state("disable")
    await lander.recover()
    await sftp_ingest.set_key_state("enable")

    landed = await lander.recover()

    assert landed == 1
    assert not queued.path.exists()
    assert [row.filename for row in await sftp_ingest.files()] == ["recover.sta"]
