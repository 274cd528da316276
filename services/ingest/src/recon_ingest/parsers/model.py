"""Settings, results and the rejection error shared by every statement parser."""

from dataclasses import dataclass, field
from typing import Literal

from recon_common.errors import InvalidRequest
from recon_common.events import RecordKind, StatementInfo, Transaction


class ParseRejected(InvalidRequest):
    """A file that cannot be parsed, with a reason naming the line or element."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ParseSettings:
    """Limits and choices that apply to every format."""

    # Maximum file size, in bytes (50 MiB).
    max_file_bytes: int = 50 * 1024 * 1024
    # Maximum length of a physical line in text formats (MT, CSV, BAI2), in characters.
    # XML is exempt because a whole camt document may sit on one line.
    max_line_chars: int = 10_000
    # Maximum number of transactions in one file.
    max_entries: int = 500_000
    # Maximum element nesting depth in XML. The deepest of 27 public camt.052/053/054
    # samples, a bank envelope included, nests 13 levels.
    max_xml_depth: int = 64
    # Text encoding of the file, as a Python codec name. None detects it: UTF-8 (with
    # or without BOM) and ASCII are accepted as is, UTF-16 and UTF-32 are recognized
    # as `parsers.wide` describes, and an 8-bit file is accepted only when one of
    # Windows-1252, ISO-8859-1 and code page 852 fits its text better than the
    # others. A UTF-16 or UTF-32 BOM decides over this setting.
    encoding: str | None = None
    # What to do when opening balance plus entries differs from the closing balance:
    # "warn" keeps the entries and records a warning on the statement, "reject"
    # rejects the whole file.
    balance_mismatch: Literal["reject", "warn"] = "warn"


@dataclass(frozen=True)
class ParseResult:
    """Statements and transactions read from one file."""

    source_format: str
    record_kind: RecordKind
    encoding: str
    statements: list[StatementInfo]
    transactions: list[Transaction]
    # File-level warnings, then each statement's warnings prefixed with its location.
    warnings: list[str] = field(default_factory=list)
