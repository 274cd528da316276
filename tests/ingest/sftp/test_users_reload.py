"""A users file changed while the server runs applies its CSV profiles at once."""

import pytest

from tests.ingest.sftp.conftest import FRENCH_LEDGER, STATEMENT_USER, SftpIngest

pytestmark = [pytest.mark.kafka]


async def test_added_user_profile_applied(sftp_ingest: SftpIngest) -> None:
    sftp_ingest.write_users(
        [
            {"username": STATEMENT_USER},
            {"username": "fr-ledger", "csv_profile": "fr-bank"},
        ]
    )

    await sftp_ingest.upload("fr-ledger", "grand-livre.csv", FRENCH_LEDGER)

    row = await sftp_ingest.parsed_or_rejected("grand-livre.csv")
    assert row.csv_profile == "fr-bank"
    assert row.status == "parsed", row.rejection_reason
    assert row.transaction_count == 2


async def test_changed_user_profile_applied(sftp_ingest: SftpIngest) -> None:
    await sftp_ingest.upload(STATEMENT_USER, "before.csv", FRENCH_LEDGER)
    before = await sftp_ingest.parsed_or_rejected("before.csv")
    sftp_ingest.write_users([{"username": STATEMENT_USER, "csv_profile": "fr-bank"}])

    await sftp_ingest.upload(STATEMENT_USER, "after.csv", FRENCH_LEDGER)

    after = await sftp_ingest.parsed_or_rejected("after.csv")
    assert before.csv_profile is None
    assert before.status == "rejected"
    assert after.csv_profile == "fr-bank"
    assert after.status == "parsed", after.rejection_reason
