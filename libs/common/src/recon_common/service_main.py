"""The command line that every service shares: `serve` and `migrate`."""

import argparse
import asyncio
import sys
from collections.abc import Callable, Coroutine
from typing import Any

import structlog
import uvicorn

from recon_common.logging import configure_logging
from recon_common.migrations import upgrade
from recon_common.settings import Environment, ServiceSettings
from recon_common.tracing import configure_tracing, instrument_app

ExtraCommand = Callable[[Any], Coroutine[Any, Any, int]]


def run_service_main(
    argv: list[str] | None,
    *,
    package: str,
    settings_factory: Callable[[], ServiceSettings],
    app_factory: str,
    extra_commands: dict[str, tuple[str, ExtraCommand]] | None = None,
) -> int:
    """Parse the command line and run `serve`, `migrate` or an extra command."""
    commands = extra_commands or {}
    parser = argparse.ArgumentParser(prog=package.replace("_", "-"))
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the HTTP API and the Kafka consumers")
    serve.add_argument(
        "--no-migrate",
        action="store_true",
        help="skip the database upgrade that development mode runs at start-up",
    )
    sub.add_parser("migrate", help="upgrade the database schema to the newest revision")
    for name, (help_text, _) in commands.items():
        sub.add_parser(name, help=help_text)
    args = parser.parse_args(argv)

    settings = settings_factory()
    # A server logs to stdout; the other commands print their result there.
    configure_logging(
        service=settings.service_name,
        log_format=settings.log_format,
        level=settings.log_level,
        stream=sys.stdout if args.command == "serve" else sys.stderr,
    )
    log = structlog.get_logger(package)
    database_url = settings.database_url.get_secret_value()

    if args.command == "migrate":
        upgrade(package, database_url)
        log.info("service.migrated", package=package)
        return 0
    if args.command in commands:
        return asyncio.run(commands[args.command][1](settings))

    if settings.environment != Environment.PRODUCTION and not args.no_migrate:
        upgrade(package, database_url)
    configure_tracing(settings.service_name)
    module_name, _, factory_name = app_factory.partition(":")
    module = __import__(module_name, fromlist=[factory_name])
    app = getattr(module, factory_name)(settings)
    instrument_app(app)
    uvicorn.run(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        # uvicorn would otherwise take the client address from X-Forwarded-For on
        # any request from 127.0.0.1. The reporting service reads that header
        # itself, and only from the proxies its settings trust.
        proxy_headers=False,
    )
    return 0
