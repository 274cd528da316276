"""Command line of the reporting service: `serve`, `migrate` and `add-user`."""

import sys

from recon_common.service_main import run_service_main

from recon_reporting.auth.cli import add_user
from recon_reporting.settings import ReportingSettings


async def _add_user_without_options(settings: ReportingSettings) -> int:
    # Reached only through `run_service_main`, which passes no options, so this
    # prints the add-user usage and the missing-option error.
    return add_user([], settings=settings)


def main(argv: list[str] | None = None) -> int:
    """Run the reporting service command line."""
    arguments = sys.argv[1:] if argv is None else argv
    # NOTE: run_service_main gives extra commands no options of their own, so
    # add-user, which needs --username and --role, is dispatched here first.
    if arguments[:1] == ["add-user"]:
        return add_user(arguments[1:], settings=ReportingSettings())
    return run_service_main(
        arguments,
        package="recon_reporting",
        settings_factory=ReportingSettings,
        app_factory="recon_reporting.app:create_app",
        extra_commands={
            "add-user": (
                "add a local user or change their password and role "
                "(--username U --role R)",
                _add_user_without_options,
            )
        },
    )


if __name__ == "__main__":
    raise SystemExit(main())
