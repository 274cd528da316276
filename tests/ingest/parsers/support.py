"""Helpers shared by the parser tests."""

from recon_ingest.parsers import CsvProfile, ParseResult, ParseSettings, parse_file


def parse_bytes(
    data: bytes,
    *,
    filename: str = "statement.sta",
    settings: ParseSettings | None = None,
    csv_profile: CsvProfile | None = None,
) -> ParseResult:
    """Parse `data` as file "f1" of bank "bank-a"."""
    return parse_file(
        data,
        filename=filename,
        file_id="f1",
        bank_id="bank-a",
        settings=settings or ParseSettings(),
        csv_profile=csv_profile,
    )


def parse_text(text: str, **options: object) -> ParseResult:
    """Parse `text` encoded as UTF-8, with lines joined by CRLF as banks send them."""
    data = "\r\n".join(text.strip("\n").splitlines()).encode("utf-8")
    return parse_bytes(data, **options)  # type: ignore[arg-type]
