"""Run every public sample file through the parsers and compare with a table.

The samples live outside the repository (their licences differ from the project's),
in `<repo>/../shared/corpus`. `corpus_expectations.csv` lists, per file, whether it
parses (with exact statement and transaction counts) or is rejected (with a part of
the reason). Files from other formats than the ones listed in `FORMAT_FOLDERS` are
not run.
"""

import csv
from dataclasses import dataclass
from pathlib import Path

import pytest
from recon_common.events import RecordKind
from recon_ingest.parsers import CsvProfile, ParseRejected, parse_file

REPO_ROOT = Path(__file__).resolve().parents[3]
CORPUS = REPO_ROOT / ".." / "shared" / "corpus"
EXPECTATIONS = Path(__file__).with_name("corpus_expectations.csv")
FORMAT_FOLDERS = (
    "mt940",
    "mt942",
    "mt950",
    "camt052",
    "camt053",
    "camt054",
    "csv",
    "bai2",
    "other",
)

# Profiles for the CSV samples; a file without one is read with LEDGER_PROFILE.
CSV_PROFILES: dict[str, CsvProfile] = {
    "csv/oca_bank_export_metadata_header_comma_decimal.csv": CsvProfile(
        record_kind=RecordKind.STATEMENT,
        skip_lines=4,
        date_column="Date",
        date_format="%d/%m/%y",
        debit_column="Debit",
        credit_column="Credit",
        decimal_mark=",",
        currency="EUR",
        account="08088804068",
        reference_column="Operation Number",
        description_column="Label",
    ),
    "csv/oca_debit_credit_inconsistent_signs.csv": CsvProfile(
        record_kind=RecordKind.STATEMENT,
        date_column="Date",
        date_format="%m/%d/%Y",
        debit_column="Debit",
        credit_column="Credit",
        thousands_separator=",",
        currency="USD",
        account="123456789",
        description_column="Label",
    ),
    "csv/oca_sample_statement_multicurrency.csv": CsvProfile(
        record_kind=RecordKind.STATEMENT,
        date_column="Date",
        date_format="%m/%d/%Y",
        amount_column="Amount",
        thousands_separator=",",
        currency_column="Currency",
        account="sample",
        description_column="Label",
        counterparty_column="Partner Name",
        counterparty_account_column="Bank Account",
    ),
    "csv/generator_source_for_mt940_mt950_cp1252.csv": CsvProfile(
        record_kind=RecordKind.STATEMENT,
        date_column="Entry Date",
        value_date_column="Value Date",
        date_format="%d-%m-%Y",
        amount_column="Amount",
        thousands_separator=",",
        direction_column="D/C",
        currency_column="CCY",
        account_column="Account ID",
        reference_column="Ref1",
        bank_reference_column="Ref2",
        description_column="Ref3",
    ),
    "csv/hledger_french_cp1252_no_eol.csv": CsvProfile(
        record_kind=RecordKind.LEDGER,
        date_column="Date",
        date_format="%Y/%m/%d",
        amount_column="Montant",
        currency="EUR",
        account="compte courant",
        description_column="Remarque",
    ),
    "csv/hledger_stripe_balance_transactions.csv": CsvProfile(
        record_kind=RecordKind.STATEMENT,
        date_column="created_utc",
        date_format="%Y-%m-%d %H:%M:%S",
        amount_column="gross",
        currency_column="currency",
        account="stripe balance",
        bank_reference_column="balance_transaction_id",
        description_column="description",
    ),
    "csv/hledger_ynab4_rtl_currency_prefix.csv": CsvProfile(
        record_kind=RecordKind.LEDGER,
        date_column="Date",
        date_format="%d/%m/%Y",
        debit_column="Outflow",
        credit_column="Inflow",
        currency="AED",
        account_column="Account",
        description_column="Memo",
    ),
    "csv/oca_paypal_es_comma_decimal.csv": CsvProfile(
        record_kind=RecordKind.STATEMENT,
        date_column="Fecha",
        date_format="%d/%m/%Y",
        amount_column="Bruto",
        decimal_mark=",",
        thousands_separator=".",
        currency_column="Divisa",
        account="paypal",
        bank_reference_column="Id. de transacción",
        description_column="Descripción",
    ),
}


@dataclass(frozen=True)
class Expectation:
    path: str
    outcome: str
    statements: int
    transactions: int
    reason: str


def load_expectations() -> dict[str, Expectation]:
    """Read the expectation table, keyed by corpus-relative path."""
    with EXPECTATIONS.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {
        row["path"]: Expectation(
            path=row["path"],
            outcome=row["outcome"],
            statements=int(row["statements"] or 0),
            transactions=int(row["transactions"] or 0),
            reason=row["reason"],
        )
        for row in rows
    }


def corpus_files() -> list[str]:
    """Return the corpus-relative paths of the sample files in FORMAT_FOLDERS."""
    if not CORPUS.is_dir():
        return []
    return sorted(
        f"{folder}/{path.name}"
        for folder in FORMAT_FOLDERS
        if (CORPUS / folder).is_dir()
        for path in (CORPUS / folder).iterdir()
        if path.is_file()
    )


requires_corpus = pytest.mark.skipif(
    not CORPUS.is_dir(), reason=f"sample corpus not found at {CORPUS}"
)


@requires_corpus
def test_corpus_table_lists_every_file() -> None:
    listed = set(load_expectations())

    present = set(corpus_files())

    assert sorted(present - listed) == []
    assert sorted(listed - present) == []


@requires_corpus
@pytest.mark.parametrize("relative_path", corpus_files())
def test_corpus_file_outcome(relative_path: str) -> None:
    expected = load_expectations()[relative_path]
    path = CORPUS / relative_path

    try:
        result = parse_file(
            path.read_bytes(),
            filename=path.name,
            file_id="corpus",
            bank_id="bank-a",
            csv_profile=CSV_PROFILES.get(relative_path),
        )
    except ParseRejected as error:
        assert expected.outcome == "rejected", f"unexpected rejection: {error.reason}"
        assert expected.reason in error.reason
        return

    assert expected.outcome == "parsed"
    assert len(result.statements) == expected.statements
    assert len(result.transactions) == expected.transactions
    # Intraday reports lack booked balances by design, so their statements may be
    # unchecked without a warning.
    intraday = result.source_format in {"mt942", "camt.052"}
    unexplained = [
        s.source_location
        for s in result.statements
        if not s.balance_checked and not s.warnings and not intraday
    ]
    assert unexplained == []
    if expected.reason:
        assert any(expected.reason in warning for warning in result.warnings)
