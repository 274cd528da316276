"""Real servers for the backend tests: `moto_server` for KMS and a SoftHSM2 token.

Both start once per test session. SoftHSM2 reads `SOFTHSM2_CONF` only when the
PKCS#11 module is first initialised in the process, so one token serves the whole
session. Tests keep apart because every key gets its own UUID label.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from recon_keyvault.settings import DEFAULT_PKCS11_LIBRARY

MOTO_SERVER = Path(sys.executable).with_name("moto_server")
REGION = "eu-west-1"
TOKEN_LABEL = "recon-test"
TOKEN_PIN = "test-user-pin-4821"
SO_PIN = "test-so-pin-9137"


@dataclass(frozen=True)
class SoftHsmToken:
    library: Path
    label: str
    pin: str


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _wait_for_http(endpoint: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30.0
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"moto_server exited with code {process.returncode}")
        try:
            httpx.get(f"{endpoint}/moto-api/", timeout=1.0)
        except httpx.TransportError:
            time.sleep(0.1)
            continue
        return
    raise TimeoutError(f"moto_server did not answer on {endpoint} within 30 s")


@pytest.fixture(scope="session")
def kms_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start `moto_server` on a free loopback port and return its URL."""
    folder = tmp_path_factory.mktemp("moto-kms")
    port = _free_port()
    endpoint = f"http://127.0.0.1:{port}"
    with pytest.MonkeyPatch.context() as patch:
        # Dummy credentials and no shared AWS files, so no real account is used.
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        patch.setenv("AWS_DEFAULT_REGION", REGION)
        patch.setenv("AWS_CONFIG_FILE", str(folder / "absent-config"))
        patch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(folder / "absent-credentials"))
        patch.delenv("AWS_PROFILE", raising=False)
        patch.delenv("AWS_SESSION_TOKEN", raising=False)
        with (folder / "moto.log").open("wb") as log:
            process = subprocess.Popen(
                [str(MOTO_SERVER), "-H", "127.0.0.1", "-p", str(port)],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=os.environ.copy(),
            )
            try:
                _wait_for_http(endpoint, process)
                yield endpoint
            finally:
                process.terminate()
                process.wait(timeout=10)


@pytest.fixture(scope="session")
def softhsm_token(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SoftHsmToken]:
    """Initialise a SoftHSM2 token in a temporary folder and return how to open it."""
    util = shutil.which("softhsm2-util")
    if util is None or not DEFAULT_PKCS11_LIBRARY.exists():
        raise RuntimeError(
            "SoftHSM2 is not installed; run `apt-get install -y softhsm2` to get "
            f"softhsm2-util and {DEFAULT_PKCS11_LIBRARY}"
        )
    folder = tmp_path_factory.mktemp("softhsm")
    (folder / "tokens").mkdir()
    config = folder / "softhsm2.conf"
    config.write_text(
        f"directories.tokendir = {folder / 'tokens'}\n"
        "objectstore.backend = file\n"
        "log.level = ERROR\n"
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOFTHSM2_CONF", str(config))
        subprocess.run(
            [
                util,
                "--init-token",
                "--free",
                "--label",
                TOKEN_LABEL,
                "--pin",
                TOKEN_PIN,
                "--so-pin",
                SO_PIN,
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
        yield SoftHsmToken(
            library=DEFAULT_PKCS11_LIBRARY, label=TOKEN_LABEL, pin=TOKEN_PIN
        )
