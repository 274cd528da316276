"""Statement and ledger parsers: SWIFT MT940/MT942/MT950, camt.052/053/054, BAI2, CSV
and .xlsx into normalized `Transaction` and `StatementInfo` records.

Call `parse_file`. It detects the format, decodes the text, and returns a
`ParseResult` or raises `ParseRejected` with a reason that names the line or element.
`parse_path` reads a file from disk and passes transactions on in batches, so a
large camt file is parsed in flat memory.
Transaction ids are `"<file_id>:<n>"`, with n the 1-based position in the file, so
parsing the same file again yields the same ids.
"""

from recon_ingest.parsers.csv_profile import LEDGER_PROFILE, CsvProfile
from recon_ingest.parsers.detect import detect_format
from recon_ingest.parsers.model import ParseRejected, ParseResult, ParseSettings
from recon_ingest.parsers.service import detect_path_format, parse_file, parse_path

__all__ = [
    "LEDGER_PROFILE",
    "CsvProfile",
    "ParseRejected",
    "ParseResult",
    "ParseSettings",
    "detect_format",
    "detect_path_format",
    "parse_file",
    "parse_path",
]
