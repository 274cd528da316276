"""Command line of the ingest service: `serve`, `migrate`, `hash-password`."""

import getpass
import sys

from recon_common.passwords import hash_password
from recon_common.service_main import run_service_main

from recon_ingest.settings import IngestSettings


async def _hash_password(settings: IngestSettings) -> int:
    if sys.stdin.isatty():
        password = getpass.getpass("Password for the SFTP user: ")
    else:
        password = sys.stdin.readline().rstrip("\n")
    if len(password) < 12:
        print("error: the password must have at least 12 characters", file=sys.stderr)
        return 2
    print(hash_password(password))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the ingest service command line."""
    return run_service_main(
        argv,
        package="recon_ingest",
        settings_factory=IngestSettings,
        app_factory="recon_ingest.app:create_app",
        extra_commands={
            "hash-password": (
                "read a password from stdin and print its hash for sftp-users.yaml",
                _hash_password,
            )
        },
    )


if __name__ == "__main__":
    raise SystemExit(main())
