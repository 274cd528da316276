"""Command line of the matcher service: `serve` and `migrate`."""

from recon_common.service_main import run_service_main

from recon_matcher.settings import MatcherSettings


def main(argv: list[str] | None = None) -> int:
    """Run the matcher service command line."""
    return run_service_main(
        argv,
        package="recon_matcher",
        settings_factory=MatcherSettings,
        app_factory="recon_matcher.app:create_app",
    )


if __name__ == "__main__":
    raise SystemExit(main())
