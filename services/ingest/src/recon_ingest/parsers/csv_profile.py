"""Column mappings for CSV and .xlsx extracts, and the platform's own ledger layout."""

from dataclasses import dataclass
from typing import Literal

from recon_common.events import RecordKind


@dataclass(frozen=True)
class CsvProfile:
    """How to read one bank's CSV or .xlsx extract into transactions.

    Columns are named by their header text. Either `amount_column` (one signed amount)
    or both `debit_column` and `credit_column` must be set.
    """

    record_kind: RecordKind
    date_column: str
    # Separator between fields, and the quote character around fields that contain it.
    separator: str = ","
    quote_char: str = '"'
    # Decimal mark and thousands separator of amounts ("." and "," as in 1,234.56).
    decimal_mark: str = "."
    thousands_separator: str | None = None
    # strptime format of dates, such as "%Y-%m-%d" or "%d.%m.%Y".
    date_format: str = "%Y-%m-%d"
    # Text encoding as a Python codec name; None detects it like every other format.
    encoding: str | None = None
    # Physical lines before the header row, such as a bank's title lines.
    skip_lines: int = 0
    # Sheet of an .xlsx workbook; None reads the first sheet.
    sheet: str | None = None
    value_date_column: str | None = None
    amount_column: str | None = None
    debit_column: str | None = None
    credit_column: str | None = None
    # Column holding a credit/debit mark. When set, amounts are unsigned and the mark
    # gives the direction: credit_marks, debit_marks, or the reversal marks RC (a
    # reversed credit, so money out) and RD (a reversed debit, so money in).
    direction_column: str | None = None
    credit_marks: tuple[str, ...] = ("C", "CR", "CRDT", "CREDIT")
    debit_marks: tuple[str, ...] = ("D", "DR", "DBIT", "DEBIT")
    currency_column: str | None = None
    currency: str | None = None
    reference_column: str | None = None
    bank_reference_column: str | None = None
    end_to_end_column: str | None = None
    account_column: str | None = None
    account: str | None = None
    description_column: str | None = None
    counterparty_column: str | None = None
    counterparty_account_column: str | None = None
    # "credit_positive": a positive amount is money into the account. "debit_positive":
    # a positive amount is money out, as in extracts that list payments as positive.
    sign_convention: Literal["credit_positive", "debit_positive"] = "credit_positive"

    def __post_init__(self) -> None:
        """Reject a profile that cannot identify amount, currency or account."""
        split = self.debit_column is not None and self.credit_column is not None
        if (self.amount_column is None) == (not split):
            raise ValueError(
                "CsvProfile needs either amount_column or both debit_column and "
                "credit_column"
            )
        if (self.currency_column is None) == (self.currency is None):
            raise ValueError(
                "CsvProfile needs exactly one of currency_column or currency"
            )
        if (self.account_column is None) == (self.account is None):
            raise ValueError(
                "CsvProfile needs exactly one of account_column or account"
            )
        if self.decimal_mark == self.thousands_separator:
            raise ValueError("decimal_mark and thousands_separator must differ")


# The bank's own ledger extract as the platform's demo generator writes it.
LEDGER_PROFILE = CsvProfile(
    record_kind=RecordKind.LEDGER,
    date_column="booking_date",
    value_date_column="value_date",
    amount_column="amount",
    currency_column="currency",
    reference_column="reference",
    bank_reference_column="entry_id",
    account_column="account",
    description_column="description",
    counterparty_column="counterparty",
)
