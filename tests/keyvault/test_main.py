"""The `recon-keyvault` command line, run as a real process."""

import asyncio
import os
import sys
from pathlib import Path

import pytest
from recon_keyvault.settings import KeyvaultSettings

from tests.keyvault.conftest import BANK_ID, audit_events

COMMAND = Path(sys.executable).with_name("recon-keyvault")


async def _run(settings: KeyvaultSettings, *args: str) -> tuple[int, str, str]:
    environment = {
        **os.environ,
        "KEYVAULT_DATABASE_URL": settings.database_url.get_secret_value(),
        "KEYVAULT_KEYRING_PATH": str(settings.keyring_path),
        "KEYVAULT_BANK_ID": BANK_ID,
    }
    process = await asyncio.create_subprocess_exec(
        str(COMMAND),
        *args,
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(120):
        stdout, stderr = await process.communicate()
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


@pytest.mark.slow
async def test_create_key_command_creates_once(settings: KeyvaultSettings) -> None:
    first = await _run(settings, "create-key", "--bank-id", BANK_ID, "--alias", "cli")
    second = await _run(settings, "create-key", "--bank-id", BANK_ID)

    events = await audit_events(settings)
    assert first[0] == 0
    assert second[0] == 1
    assert "already has key" in second[2]
    assert [event.actor for event in events] == ["keyvault-cli"]
    assert events[0].resource_id == first[1].strip()
    assert (settings.keyring_path / f"{first[1].strip()}.key").exists()


@pytest.mark.slow
async def test_create_key_command_other_bank_rejected(
    settings: KeyvaultSettings,
) -> None:
    code, _, stderr = await _run(settings, "create-key", "--bank-id", "bank-b")

    assert code == 2
    assert "serves bank 'bank-a'" in stderr
