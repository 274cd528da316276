"""Command line: parse one file and print its statements and transactions as JSON.

Usage: python -m recon_ingest.parsers FILE [--format F] [--encoding E]
"""

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from recon_common.logging import configure_logging
from recon_common.settings import LogFormat

from recon_ingest.parsers.detect import FORMATS
from recon_ingest.parsers.model import ParseRejected, ParseSettings
from recon_ingest.parsers.service import parse_file


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser."""
    parser = argparse.ArgumentParser(
        prog="python -m recon_ingest.parsers",
        description="Parse a statement or ledger file and print it as JSON.",
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
    return parser


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
        )
    except ParseRejected as error:
        print(f"rejected: {path}: {error.reason}", file=sys.stderr)
        return 1

    output: dict[str, Any] = {
        "source_format": result.source_format,
        "record_kind": result.record_kind.value,
        "encoding": result.encoding,
        "warnings": result.warnings,
        "statements": [item.model_dump(mode="json") for item in result.statements],
        "transactions": [item.model_dump(mode="json") for item in result.transactions],
    }
    json.dump(output, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
