"""Command line of the key broker: `serve`, `migrate` and `create-key`."""

import argparse
import sys
from typing import Any

from recon_common.db import create_engine, create_sessionmaker, session_scope
from recon_common.service_main import ExtraCommand, run_service_main

from recon_keyvault.auditing import AuditTrail
from recon_keyvault.backends import create_backend
from recon_keyvault.broker import Broker
from recon_keyvault.errors import KeyAlreadyExists
from recon_keyvault.keys.service import create_key
from recon_keyvault.settings import KeyvaultSettings

# The actor recorded in audit events for keys created from the command line.
CLI_ACTOR = "keyvault-cli"
CREATE_KEY = "create-key"


def _create_key_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"recon-keyvault {CREATE_KEY}")
    parser.add_argument(
        "--bank-id",
        help="bank that owns the key; must be the bank_id setting (default: it)",
    )
    parser.add_argument("--alias", default="default", help="name of the key")
    parser.add_argument("--description", help="free text stored with the key")
    return parser


def create_key_command(
    options: argparse.Namespace,
) -> ExtraCommand:
    """Return the `create-key` command bound to its parsed options."""

    async def run(settings: Any) -> int:
        assert isinstance(settings, KeyvaultSettings)  # noqa: S101 - settings_factory
        return await _create_key(settings, options)

    return run


async def _create_key(settings: KeyvaultSettings, options: argparse.Namespace) -> int:
    bank_id = options.bank_id or settings.bank_id
    if bank_id != settings.bank_id:
        print(
            f"this key broker serves bank {settings.bank_id!r}, not {bank_id!r}; set "
            "KEYVAULT_BANK_ID to the bank of this deployment",
            file=sys.stderr,
        )
        return 2
    engine = create_engine(settings.database_url.get_secret_value())
    sessions = create_sessionmaker(engine)
    broker = Broker(
        settings=settings,
        backend=create_backend(settings),
        audit=AuditTrail(settings=settings, sessions=sessions),
        sessions=sessions,
    )
    try:
        async with session_scope(sessions) as session:
            key = await create_key(
                session,
                broker=broker,
                bank_id=bank_id,
                alias=options.alias,
                description=options.description,
                actor=CLI_ACTOR,
            )
    except KeyAlreadyExists as error:
        print(error.message, file=sys.stderr)
        return 1
    finally:
        await broker.backend.close()
        await engine.dispose()
    print(key.key_id)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the key broker command line."""
    arguments = sys.argv[1:] if argv is None else list(argv)
    options = argparse.Namespace(bank_id=None, alias="default", description=None)
    if arguments[:1] == [CREATE_KEY]:
        # The shared command line gives extra commands no options of their own, so
        # `create-key` parses its options here and passes only its name on.
        options = _create_key_parser().parse_args(arguments[1:])
        arguments = [CREATE_KEY]
    return run_service_main(
        arguments,
        package="recon_keyvault",
        settings_factory=KeyvaultSettings,
        app_factory="recon_keyvault.app:create_app",
        extra_commands={
            CREATE_KEY: (
                "create the bank's key (see `create-key -h` for options)",
                create_key_command(options),
            )
        },
    )


if __name__ == "__main__":
    raise SystemExit(main())
