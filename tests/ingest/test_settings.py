"""`IngestSettings`: parser limits and rules read from `INGEST_*` variables."""

import pytest
from pydantic import ValidationError
from recon_ingest.parsers import ParseSettings
from recon_ingest.settings import DuplicateFiles, DuplicateStatements, IngestSettings


def test_settings_defaults_match_parser() -> None:
    settings = IngestSettings()

    assert settings.parse_settings() == ParseSettings()
    assert settings.duplicate_files is DuplicateFiles.REJECT
    assert settings.duplicate_statements is DuplicateStatements.REJECT


def test_settings_read_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INGEST_PARSE_MAX_FILE_BYTES", "1024")
    monkeypatch.setenv("INGEST_PARSE_MAX_LINE_CHARS", "80")
    monkeypatch.setenv("INGEST_PARSE_MAX_ENTRIES", "7")
    monkeypatch.setenv("INGEST_PARSE_MAX_XML_DEPTH", "20")
    monkeypatch.setenv("INGEST_ENCODING", "cp852")
    monkeypatch.setenv("INGEST_BALANCE_MISMATCH", "reject")
    monkeypatch.setenv("INGEST_DUPLICATE_FILES", "accept")
    monkeypatch.setenv("INGEST_DUPLICATE_STATEMENTS", "skip")

    settings = IngestSettings()

    assert settings.parse_settings() == ParseSettings(
        max_file_bytes=1024,
        max_line_chars=80,
        max_entries=7,
        max_xml_depth=20,
        encoding="cp852",
        balance_mismatch="reject",
    )
    assert settings.duplicate_files is DuplicateFiles.ACCEPT
    assert settings.duplicate_statements is DuplicateStatements.SKIP


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("INGEST_ENCODING", "klingon-8"),
        ("INGEST_PARSE_MAX_FILE_BYTES", "0"),
        ("INGEST_PARSE_MAX_ENTRIES", "-1"),
        ("INGEST_BALANCE_MISMATCH", "ignore"),
        ("INGEST_DUPLICATE_FILES", "skip"),
        ("INGEST_DUPLICATE_STATEMENTS", "accept"),
    ],
)
def test_settings_invalid_value_rejected(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)

    with pytest.raises(ValidationError, match=variable.removeprefix("INGEST_").lower()):
        IngestSettings()
