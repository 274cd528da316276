"""Advice on a rejected file, derived from its rejection reason.

Ingest sends the reason as text only, so `classify_rejection` looks for the phrases
that recon_ingest writes for each kind of rejection. The advice texts are the ones
that docs/ingest.md lists under "What to do about a rejected file", and a test keeps
the two the same.
"""

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Final


class RejectionKind(StrEnum):
    """The cause of a rejection, as far as its reason text shows it."""

    DUPLICATE_FILE = "duplicate_file"
    REPEATED_STATEMENT = "repeated_statement"
    EMPTY = "empty"
    SETUP = "setup"
    LIMIT = "limit"
    ENCODING = "encoding"
    TOTALS = "totals"
    UNSUPPORTED = "unsupported"
    INVALID = "invalid"


ADVICE: Final[dict[RejectionKind, str]] = {
    RejectionKind.DUPLICATE_FILE: (
        "Nothing to do: a file with the same content was parsed earlier, and its "
        "transactions are the ones posted."
    ),
    RejectionKind.REPEATED_STATEMENT: (
        "Nothing to do if every statement in the file was delivered before. If the "
        "file also contains new statements, ask the sender to deliver them again "
        "without the repeated one."
    ),
    RejectionKind.EMPTY: (
        "Ask the sender to deliver the file again with its statements or ledger "
        "entries: the file that arrived holds none."
    ),
    RejectionKind.SETUP: (
        "Ask the platform administrator to correct the setting or file named in the "
        "reason, then deliver the file again."
    ),
    RejectionKind.LIMIT: (
        "Ask the sender to split the file, or ask the platform administrator to "
        "raise the setting named in the reason, then deliver the file again."
    ),
    RejectionKind.ENCODING: (
        "Ask the sender to deliver the file in UTF-8, or ask the platform "
        "administrator to set INGEST_ENCODING to the file's encoding, then deliver "
        "the file again."
    ),
    RejectionKind.TOTALS: (
        "The file's balances or control totals do not add up, so entries may be "
        "missing. Ask the sender to correct the file and deliver it again."
    ),
    RejectionKind.UNSUPPORTED: (
        "Check that the file is a statement or ledger export in a supported format. "
        "If it was sent by mistake, nothing else is needed. Otherwise ask the sender "
        "to deliver it in a supported format."
    ),
    RejectionKind.INVALID: (
        "Ask the sender to correct the file at the line or element named in the "
        "reason and deliver it again."
    ),
}

# Phrases of recon_ingest's rejection reasons, checked in this order. A reason that
# matches none is an invalid file.
_PHRASES: Final[tuple[tuple[RejectionKind, tuple[str, ...]], ...]] = (
    (RejectionKind.DUPLICATE_FILE, ("duplicate of file ",)),
    (RejectionKind.REPEATED_STATEMENT, (" was already published from file ",)),
    (RejectionKind.EMPTY, (" is empty (0 bytes)", " contains only whitespace (")),
    (RejectionKind.SETUP, (" is not defined in INGEST_CSV_PROFILES_FILE",)),
    (RejectionKind.LIMIT, ("(INGEST_PARSE_",)),
    (
        RejectionKind.ENCODING,
        (
            "configure the encoding",
            "check the configured encoding",
            "unknown encoding",
            "invalid UTF-8",
        ),
    ),
    (
        RejectionKind.TOTALS,
        (
            "but the closing balance is",
            "but the records add up to",
            "but the statement has",
        ),
    ),
    (
        RejectionKind.UNSUPPORTED,
        (
            "unknown content in ",
            "unknown format ",
            " is not supported; expected ",
            "XML document has no ",
            "ZIP archive is not an .xlsx workbook",
        ),
    ),
)

# The earlier file in a duplicate reason: "... file NAME (FILE_ID) landed at ...".
_EARLIER_FILE = re.compile(r"\(([^()\s]+)\) landed at ")


@dataclass(frozen=True, slots=True)
class RejectionAdvice:
    """The kind of a rejection, what to do about it, and the earlier file if named."""

    kind: RejectionKind
    text: str
    earlier_file_id: str | None


def classify_rejection(reason: str) -> RejectionKind:
    """Return the kind of rejection that `reason` describes."""
    for kind, phrases in _PHRASES:
        if any(phrase in reason for phrase in phrases):
            return kind
    return RejectionKind.INVALID


def advise(reason: str) -> RejectionAdvice:
    """Return what to do about a file that was rejected for `reason`."""
    kind = classify_rejection(reason)
    earlier_file_id = None
    if kind in (RejectionKind.DUPLICATE_FILE, RejectionKind.REPEATED_STATEMENT):
        found = _EARLIER_FILE.search(reason)
        earlier_file_id = found.group(1) if found else None
    return RejectionAdvice(
        kind=kind, text=ADVICE[kind], earlier_file_id=earlier_file_id
    )
