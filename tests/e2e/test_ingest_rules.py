"""Duplicate and size rules of the ingest service, driven through OpenSSH's `sftp`.

The module starts its own platform because it needs a parser file size limit below
the SFTP upload limit, so that an oversized statement lands and is then rejected.
"""

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from recon_platform import demo
from recon_platform.infra.postgres import create_database, drop_database
from recon_platform.stack import SERVICE_ORDER, LocalStack, Ports, Progress
from tests.e2e.conftest import Platform

pytestmark = [pytest.mark.slow, pytest.mark.kafka, pytest.mark.postgres]

# Files up to 2 MiB land over SFTP, but the parser reads at most 64 KiB.
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
PARSE_MAX_FILE_BYTES = 64 * 1024


@pytest.fixture(scope="module")
async def rules_platform(
    kafka_bootstrap: str,
    postgres_admin_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Platform]:
    """Start the five services with a small parser file size limit."""
    suffix = uuid.uuid4().hex[:8]
    names = {service: f"e2e_{service}_{suffix}" for service in SERVICE_ORDER}
    urls = {
        service: await create_database(postgres_admin_url, name)
        for service, name in names.items()
    }
    stack = LocalStack(
        tmp_path_factory.mktemp("platform"),
        ports=Ports.find_free(),
        database_urls=urls,
        topic_prefix=f"e2e{suffix}-",
        kafka_bootstrap=kafka_bootstrap,
        extra_env={
            "ingest": {
                "MAX_UPLOAD_BYTES": str(MAX_UPLOAD_BYTES),
                "PARSE_MAX_FILE_BYTES": str(PARSE_MAX_FILE_BYTES),
            }
        },
    )
    progress = Progress()
    day = demo.prepare(stack, progress=progress)
    stack.up(progress=progress)
    running = Platform(stack, day)
    running.write_known_hosts()
    try:
        yield running
    finally:
        stack.down(progress=progress)
        for name in names.values():
            await drop_database(postgres_admin_url, name)


def statement(reference: str, entries: int) -> str:
    """Return an MT940 statement with `entries` credits of 1.00 EUR."""
    lines = [
        f":20:{reference}",
        ":25:DE89370400440532013000",
        ":28C:00101/001",
        ":60F:C261203EUR1000,00",
    ]
    for number in range(1, entries + 1):
        lines.append(f":61:2612031203C1,00NTRFREF{number:06d}//BANK{number:06d}")
        lines.append(f":86:Invoice {number:06d} paid by ACME Industrial GmbH")
    lines.append(f":62F:C261203EUR{1000 + entries},00")
    return "\r\n".join(lines) + "\r\n"


def wait_for_outcome(platform: Platform, filename: str) -> dict[str, Any]:
    """Wait until `filename` is parsed or rejected and return its record."""

    def settled() -> bool:
        item = platform.files_by_name().get(filename)
        return item is not None and item["status"] in {"parsed", "rejected"}

    platform.wait_until(settled, timeout_s=90, what=f"{filename} parsed or rejected")
    return platform.files_by_name()[filename]


def test_same_statement_twice_rejected(rules_platform: Platform) -> None:
    folder = rules_platform.day.folder
    first = folder / "rules-day1.sta"
    first.write_text(statement("RULES-0001", 3))
    second = folder / "rules-day1-resent.sta"
    second.write_text(statement("RULES-0001", 3))

    upload_first = rules_platform.sftp(demo.STATEMENT_USER, [f"put {first}"])
    earlier = wait_for_outcome(rules_platform, first.name)
    upload_second = rules_platform.sftp(demo.STATEMENT_USER, [f"put {second}"])
    repeat = wait_for_outcome(rules_platform, second.name)

    assert upload_first.returncode == 0, upload_first.stderr
    assert upload_second.returncode == 0, upload_second.stderr
    assert earlier["status"] == "parsed"
    assert earlier["transaction_count"] == 3
    assert repeat["status"] == "rejected"
    assert "duplicate" in repeat["rejection_reason"]
    assert first.name in repeat["rejection_reason"]
    assert earlier["file_id"] in repeat["rejection_reason"]


def test_file_over_parse_limit_rejected(rules_platform: Platform) -> None:
    path = rules_platform.day.folder / "rules-oversize.sta"
    path.write_text(statement("RULES-0002", 1500))
    size = path.stat().st_size

    upload = rules_platform.sftp(demo.STATEMENT_USER, [f"put {path}"])
    outcome = wait_for_outcome(rules_platform, path.name)

    assert PARSE_MAX_FILE_BYTES < size < MAX_UPLOAD_BYTES
    assert upload.returncode == 0, upload.stderr
    assert outcome["status"] == "rejected"
    assert "INGEST_PARSE_MAX_FILE_BYTES" in outcome["rejection_reason"]
    assert str(PARSE_MAX_FILE_BYTES) in outcome["rejection_reason"]
    assert outcome["transaction_count"] == 0


def test_repeated_statement_in_new_file_rejected(rules_platform: Platform) -> None:
    folder = rules_platform.day.folder
    first = folder / "rules-day2.sta"
    first.write_text(statement("RULES-0003", 2))
    combined = folder / "rules-day2-and-3.sta"
    combined.write_text(statement("RULES-0003", 2) + statement("RULES-0004", 4))

    rules_platform.sftp(demo.STATEMENT_USER, [f"put {first}"])
    earlier = wait_for_outcome(rules_platform, first.name)
    rules_platform.sftp(demo.STATEMENT_USER, [f"put {combined}"])
    repeat = wait_for_outcome(rules_platform, combined.name)

    assert earlier["status"] == "parsed"
    assert repeat["status"] == "rejected"
    assert "RULES-0003" in repeat["rejection_reason"]
    assert first.name in repeat["rejection_reason"]
    assert earlier["file_id"] in repeat["rejection_reason"]
