"""Command line of the audit service: `serve`, `migrate` and `verify`."""

from recon_common.service_main import run_service_main

from recon_audit.settings import AuditSettings


def main(argv: list[str] | None = None) -> int:
    """Run the audit service command line."""
    return run_service_main(
        argv,
        package="recon_audit",
        settings_factory=AuditSettings,
        app_factory="recon_audit.app:create_app",
    )


if __name__ == "__main__":
    raise SystemExit(main())
