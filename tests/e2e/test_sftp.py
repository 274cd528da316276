"""The SFTP endpoint refuses what a managed transfer service refuses.

Driven with OpenSSH's `sftp` client, and with asyncssh where a client must stop in
the middle of an upload.
"""

import asyncio
import os
from pathlib import Path

import asyncssh
import pytest
import yaml
from recon_common.passwords import hash_password

from recon_platform import demo
from tests.e2e.conftest import Platform

pytestmark = [pytest.mark.slow, pytest.mark.kafka, pytest.mark.postgres]


def home(platform: Platform, username: str) -> Path:
    return platform.stack.service_dir("ingest") / "sftp" / "home" / username


def landed_names(platform: Platform) -> set[str]:
    return set(platform.files_by_name())


def test_sftp_upload_lands_file(live_platform: Platform) -> None:
    path = live_platform.day.folder / "landing-check.csv"
    path.write_text(
        "entry_id,account,booking_date,value_date,amount,currency,"
        "reference,description,counterparty\n"
    )

    result = live_platform.sftp(demo.LEDGER_USER, [f"put {path}"])

    assert result.returncode == 0, result.stderr
    live_platform.wait_until(
        lambda: "landing-check.csv" in landed_names(live_platform),
        timeout_s=60,
        what="landing-check.csv landed",
    )


def test_sftp_traversal_stays_in_home(live_platform: Platform) -> None:
    path = live_platform.day.folder / "escape.txt"
    path.write_text("not a statement\n")
    outside = live_platform.stack.service_dir("ingest") / "sftp" / "escape.txt"

    live_platform.sftp(demo.STATEMENT_USER, [f"put {path} ../../escape.txt"])

    assert not outside.exists()
    assert not (live_platform.stack.service_dir("ingest") / "escape.txt").exists()


def test_sftp_symlink_creation_rejected(live_platform: Platform) -> None:
    result = live_platform.sftp(demo.STATEMENT_USER, ["symlink /etc/passwd link"])

    assert result.returncode != 0
    assert not (home(live_platform, demo.STATEMENT_USER) / "link").is_symlink()


def test_sftp_symlink_out_of_home_refused(live_platform: Platform) -> None:
    user_home = home(live_platform, demo.STATEMENT_USER)
    user_home.mkdir(parents=True, exist_ok=True)
    link = user_home / "planted"
    if not link.exists():
        os.symlink("/etc", link)
    target = live_platform.day.folder / "stolen-passwd"

    result = live_platform.sftp(demo.STATEMENT_USER, [f"get planted/passwd {target}"])

    assert result.returncode != 0
    assert not target.exists()


def test_sftp_oversize_upload_rejected(live_platform: Platform) -> None:
    path = live_platform.day.folder / "oversize.csv"
    path.write_bytes(b"x" * (3 * 1024 * 1024))

    result = live_platform.sftp(demo.LEDGER_USER, [f"put {path}"])

    assert result.returncode != 0
    # OpenSSH prints the status code name, not the server's message.
    assert "Failure" in result.stderr
    assert "oversize.csv" not in landed_names(live_platform)
    leftovers = list(home(live_platform, demo.LEDGER_USER).glob(".oversize.csv*"))
    assert leftovers == []


def test_sftp_unknown_key_rejected(live_platform: Platform) -> None:
    stranger = live_platform.day.folder / "stranger-key"
    if not stranger.exists():
        key = asyncssh.generate_private_key("ssh-ed25519")
        key.write_private_key(stranger)
        stranger.chmod(0o600)

    result = live_platform.sftp(demo.STATEMENT_USER, ["ls"], key_path=stranger)

    assert result.returncode != 0
    assert "Permission denied" in result.stderr

    def failure_journaled() -> bool:
        page = live_platform.get("audit", "/v1/journal?action=sftp.login&limit=500")
        return any(
            entry["outcome"] == "failure"
            and entry["resource_id"] == demo.STATEMENT_USER
            for entry in page["entries"]
        )

    live_platform.wait_until(
        failure_journaled, timeout_s=60, what="failed login audited"
    )


async def test_sftp_partial_upload_never_parsed(live_platform: Platform) -> None:
    stack = live_platform.stack
    host_key = asyncssh.read_private_key(stack.service_dir("ingest") / "sftp-host-key")
    known_hosts = asyncssh.import_known_hosts(
        f"[127.0.0.1]:{stack.ports.of('sftp')} "
        f"{host_key.export_public_key().decode().strip()}\n"
    )
    client_key = asyncssh.read_private_key(live_platform.key_path)

    connection = await asyncssh.connect(
        "127.0.0.1",
        stack.ports.of("sftp"),
        username=demo.STATEMENT_USER,
        client_keys=[client_key],
        known_hosts=known_hosts,
    )
    sftp = await connection.start_sftp_client()
    remote = await sftp.open("partial.sta", "wb")
    await remote.write(b":20:PARTIAL\r\n:25:NL91ABNA0417164300\r\n")
    connection.abort()
    await asyncio.sleep(3)

    assert "partial.sta" not in landed_names(live_platform)
    user_home = home(live_platform, demo.STATEMENT_USER)
    assert list(user_home.glob(".partial.sta*")) == []
    assert not (user_home / "partial.sta").exists()

    def incomplete_journaled() -> bool:
        page = live_platform.get(
            "audit", "/v1/journal?action=file.upload_incomplete&limit=100"
        )
        return bool(page["entries"])

    live_platform.wait_until(
        incomplete_journaled, timeout_s=60, what="incomplete upload audited"
    )


async def test_sftp_password_login(live_platform: Platform) -> None:
    stack = live_platform.stack
    users_file = stack.service_dir("ingest") / "sftp-users.yaml"
    content = yaml.safe_load(users_file.read_text())
    password = "correct horse battery staple"
    if not any(user["username"] == "treasury" for user in content["users"]):
        content["users"].append(
            {"username": "treasury", "password_hash": hash_password(password)}
        )
        users_file.write_text(yaml.safe_dump(content, sort_keys=False))
    host_key = asyncssh.read_private_key(stack.service_dir("ingest") / "sftp-host-key")
    known_hosts = asyncssh.import_known_hosts(
        f"[127.0.0.1]:{stack.ports.of('sftp')} "
        f"{host_key.export_public_key().decode().strip()}\n"
    )
    options = {
        "port": stack.ports.of("sftp"),
        "username": "treasury",
        "known_hosts": known_hosts,
        "client_keys": None,
        "preferred_auth": "password",
    }

    async with asyncssh.connect("127.0.0.1", password=password, **options) as conn:
        async with conn.start_sftp_client() as sftp:
            listing = await sftp.listdir(".")
    with pytest.raises(asyncssh.PermissionDenied):
        await asyncssh.connect("127.0.0.1", password="wrong password", **options)

    assert isinstance(listing, list)
