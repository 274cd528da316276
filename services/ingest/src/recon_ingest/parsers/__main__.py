"""Command line: parse one file and print its statements and transactions as JSON.

Usage: python -m recon_ingest.parsers FILE [--format F] [--encoding E]
       [--csv-profile PROFILES_FILE [--csv-profile-name NAME]]

When the reader of stdout closes early, as `head` does, the command stops without a
traceback and exits with status 141. A shell reports that status (128 + SIGPIPE) for
`cat` and other commands that SIGPIPE ends in the same situation.
"""

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from recon_common.logging import configure_logging
from recon_common.settings import LogFormat

from recon_ingest.parsers.csv_profile import LEDGER_PROFILE, CsvProfile
from recon_ingest.parsers.detect import FORMATS
from recon_ingest.parsers.model import ParseRejected, ParseSettings
from recon_ingest.parsers.service import parse_file
from recon_ingest.parsing.profiles import InvalidProfilesFile, load_csv_profiles

# 128 + SIGPIPE (13): what the shell reports when SIGPIPE ends a writer.
EXIT_STDOUT_CLOSED = 141


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser."""
    parser = argparse.ArgumentParser(
        prog="python -m recon_ingest.parsers",
        description="Parse a statement or ledger file and print it as JSON.",
        epilog="Exit status: 0 parsed, 1 unreadable or rejected file, 2 invalid "
        "arguments or CSV profile, 141 stdout closed before all output was written "
        "(for example by `| head`).",
    )
    parser.add_argument("file", type=Path, help="path of the file to parse")
    parser.add_argument(
        "--format",
        choices=FORMATS,
        help="format of the file; detected from its content when omitted",
    )
    parser.add_argument(
        "--encoding",
        help="text encoding as a Python codec name (for example cp852); detected "
        "when omitted",
    )
    parser.add_argument(
        "--balance-mismatch",
        choices=("warn", "reject"),
        default="warn",
        help="what to do when a statement does not balance (default: warn)",
    )
    parser.add_argument(
        "--csv-profile",
        type=Path,
        metavar="PROFILES_FILE",
        help="YAML or JSON file of named CSV column mappings, in the format of "
        "INGEST_CSV_PROFILES_FILE, for CSV and .xlsx files; without it the built-in "
        "`ledger` profile is used",
    )
    parser.add_argument(
        "--csv-profile-name",
        metavar="NAME",
        help="profile of --csv-profile to use; may be omitted when the file "
        "contains exactly one profile",
    )
    return parser


def select_csv_profile(path: Path | None, name: str | None) -> CsvProfile | None:
    """Return the profile `name` of the profiles file `path`, or None without a file.

    Raise `InvalidProfilesFile` when the file cannot be read or the name is unknown.
    """
    if path is None:
        if name is not None:
            raise InvalidProfilesFile(
                f"--csv-profile-name {name} needs --csv-profile PROFILES_FILE"
            )
        return None
    try:
        profiles = load_csv_profiles(path)
    except ValueError as error:
        # An unknown record_kind, or a profile that CsvProfile rejects, raises
        # ValueError.
        raise InvalidProfilesFile(f"{path}: {error}") from None
    # load_csv_profiles adds the built-in `ledger` profile unless the file
    # defines its own profile of that name.
    from_file = sorted(
        profile_name
        for profile_name, profile in profiles.items()
        if profile is not LEDGER_PROFILE
    )
    if name is None:
        if len(from_file) != 1:
            raise InvalidProfilesFile(
                f"{path} contains {len(from_file)} profiles "
                f"({', '.join(from_file) or 'none'}); choose one with "
                "--csv-profile-name NAME"
            )
        name = from_file[0]
    if name not in profiles:
        raise InvalidProfilesFile(
            f"{path} has no profile {name!r}; it contains "
            f"{', '.join(from_file) or 'no profiles'}"
        )
    return profiles[name]


def main(argv: list[str] | None = None) -> int:
    """Parse the file named on the command line and print the result."""
    arguments = build_parser().parse_args(argv)
    # Logs go to stderr at warning level so that stdout holds only the JSON.
    configure_logging(
        service="ingest",
        log_format=LogFormat.CONSOLE,
        level="WARNING",
        stream=sys.stderr,
    )
    path: Path = arguments.file
    try:
        data = path.read_bytes()
    except OSError as error:
        print(f"error: cannot read {path}: {error.strerror}", file=sys.stderr)
        return 1

    try:
        csv_profile = select_csv_profile(
            arguments.csv_profile, arguments.csv_profile_name
        )
    except InvalidProfilesFile as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 2

    settings = ParseSettings(
        encoding=arguments.encoding, balance_mismatch=arguments.balance_mismatch
    )
    try:
        result = parse_file(
            data,
            filename=path.name,
            file_id=path.name,
            bank_id="cli",
            settings=settings,
            source_format=arguments.format,
            csv_profile=csv_profile,
        )
    except ParseRejected as error:
        print(f"rejected: {path}: {error.reason}", file=sys.stderr)
        if csv_profile is None and "CSV profile" in error.reason:
            print(
                "hint: the built-in `ledger` profile was used; pass the bank's "
                "column mapping with --csv-profile PROFILES_FILE",
                file=sys.stderr,
            )
        return 1

    output: dict[str, Any] = {
        "source_format": result.source_format,
        "record_kind": result.record_kind.value,
        "encoding": result.encoding,
        "warnings": result.warnings,
        "statements": [item.model_dump(mode="json") for item in result.statements],
        "transactions": [item.model_dump(mode="json") for item in result.transactions],
    }
    try:
        json.dump(output, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
        sys.stdout.flush()
    except BrokenPipeError:
        # Point stdout at /dev/null, because the interpreter flushes it again at
        # exit and would print a second BrokenPipeError.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_STDOUT_CLOSED
    return 0


if __name__ == "__main__":
    sys.exit(main())
