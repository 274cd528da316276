"""Command line of the audit service: `serve`, `migrate` and `verify`."""

import json
import sys
from dataclasses import asdict

from recon_common.db import create_engine, create_sessionmaker, session_scope
from recon_common.service_main import run_service_main

from recon_audit.sealing.storage import open_segment_store
from recon_audit.sealing.verify import verify_journal
from recon_audit.settings import AuditSettings


async def verify(settings: AuditSettings) -> int:
    """Verify the journal against its sealed segments and print the report as JSON.

    Return 0 when the journal is valid and 1 when a problem was found.
    """
    store = await open_segment_store(settings)
    engine = create_engine(settings.database_url.get_secret_value())
    try:
        async with session_scope(create_sessionmaker(engine)) as session:
            report = await verify_journal(
                session, store=store, bank_id=settings.bank_id
            )
    finally:
        await engine.dispose()
        if store is not None:
            await store.close()
    print(json.dumps(asdict(report), indent=2))
    if not report.valid:
        print(
            f"error: journal verification failed at entry "
            f"{report.first_invalid_sequence}: {report.reason}. {report.action}",
            file=sys.stderr,
        )
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the audit service command line."""
    return run_service_main(
        argv,
        package="recon_audit",
        settings_factory=AuditSettings,
        app_factory="recon_audit.app:create_app",
        extra_commands={
            "verify": (
                "compare the journal with its sealed segments and check its hash "
                "chain; exit status 1 names the first problem",
                verify,
            )
        },
    )


if __name__ == "__main__":
    raise SystemExit(main())
