"""Seeded generator of a bank ledger that differs from a statement as real books do.

From statement transactions it derives the ledger export a bank would send (a CSV
with the columns in `LEDGER_COLUMNS`) and a truth file that records which ledger entry
belongs to which statement line. docs/ledger-generator.md documents the rules. In
short, booking dates lie one to three days from the value date, and some value dates
shift. References are reformatted, fees are netted into some amounts, and some items
exist on one side only.

Every random choice comes from one `random.Random(seed)` and the input is read in
order, so the same transactions, seed and options always give the same files.
"""

import argparse
import csv
import io
import json
import random
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Final, NamedTuple

from recon_common.events import Direction, RecordKind, Transaction
from recon_common.money import minor_units
from recon_matcher.definitions.models import normalize_account

LEDGER_COLUMNS: Final = (
    "entry_id",
    "account",
    "booking_date",
    "value_date",
    "amount",
    "currency",
    "reference",
    "description",
    "counterparty",
)
TRUTH_COLUMNS: Final = ("ledger_entry_id", "statement_transaction_id")
LEDGER_SOURCE_FORMAT: Final = "ledger-csv"

_PLACEHOLDER_REFERENCES: Final = frozenset({"NONREF", "NOTPROVIDED"})
_LEDGER_ONLY_DESCRIPTIONS: Final = (
    "Accrued interest",
    "Internal transfer",
    "Manual adjustment",
    "Fee provision",
    "Suspense clearing",
)


class GeneratorError(ValueError):
    """Input that the ledger generator cannot use."""


@dataclass(frozen=True, slots=True)
class GeneratorOptions:
    """Rates (probabilities from 0 to 1) and limits of each difference."""

    missing_in_ledger_rate: float = 0.02
    ledger_only_rate: float = 0.02
    fee_rate: float = 0.05
    fee_min: Decimal = Decimal("0.10")
    fee_max: Decimal = Decimal("5.00")
    max_booking_lag_days: int = 3
    value_date_shift_rate: float = 0.10
    max_value_date_shift_days: int = 2
    reference_change_rate: float = 0.60
    reference_prefix: str = "INV-"
    mirror_signs: bool = False

    def __post_init__(self) -> None:
        rates = {
            "missing_in_ledger_rate": self.missing_in_ledger_rate,
            "ledger_only_rate": self.ledger_only_rate,
            "fee_rate": self.fee_rate,
            "value_date_shift_rate": self.value_date_shift_rate,
            "reference_change_rate": self.reference_change_rate,
        }
        for name, rate in rates.items():
            if not 0 <= rate <= 1:
                raise GeneratorError(f"{name} is {rate}; use a value from 0 to 1")
        if not Decimal(0) < self.fee_min <= self.fee_max:
            raise GeneratorError(
                f"fee range {self.fee_min}..{self.fee_max} is invalid; "
                "use 0 < fee_min <= fee_max"
            )
        if self.max_booking_lag_days < 1 or self.max_value_date_shift_days < 1:
            raise GeneratorError(
                "max_booking_lag_days and max_value_date_shift_days must be 1 or more"
            )


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One row of the generated ledger; `amount` is signed, negative for debits."""

    entry_id: str
    account: str
    booking_date: date
    value_date: date
    amount: Decimal
    currency: str
    reference: str
    description: str
    counterparty: str

    def csv_row(self) -> list[str]:
        """Return the row's cells in `LEDGER_COLUMNS` order."""
        return [
            self.entry_id,
            self.account,
            self.booking_date.isoformat(),
            self.value_date.isoformat(),
            _format_amount(self.amount, self.currency),
            self.currency,
            self.reference,
            self.description,
            self.counterparty,
        ]

    def to_transaction(
        self, *, bank_id: str, file_id: str, line_number: int
    ) -> Transaction:
        """Return the entry as the normalized `Transaction` a ledger parser yields."""
        direction = Direction.DEBIT if self.amount < 0 else Direction.CREDIT
        return Transaction(
            transaction_id=self.entry_id,
            bank_id=bank_id,
            file_id=file_id,
            source_format=LEDGER_SOURCE_FORMAT,
            record_kind=RecordKind.LEDGER,
            account=self.account,
            currency=self.currency,
            amount=abs(self.amount),
            direction=direction,
            value_date=self.value_date,
            booking_date=self.booking_date,
            customer_reference=self.reference or None,
            counterparty_name=self.counterparty or None,
            remittance_info=self.description or None,
            source_location=f"line {line_number}",
        )


class TruthRow(NamedTuple):
    """A ledger entry and the statement line it was derived from."""

    ledger_entry_id: str
    statement_transaction_id: str


@dataclass(frozen=True, slots=True)
class GeneratedLedger:
    """The generated ledger, its truth rows and the ids left unpaired on purpose."""

    entries: list[LedgerEntry]
    truth: list[TruthRow]
    missing_statement_ids: list[str] = field(default_factory=list)
    ledger_only_ids: list[str] = field(default_factory=list)

    @property
    def csv_text(self) -> str:
        """The ledger as CSV text with a header row."""
        return _csv_text(LEDGER_COLUMNS, (entry.csv_row() for entry in self.entries))

    @property
    def truth_csv_text(self) -> str:
        """The truth rows as CSV text with a header row."""
        return _csv_text(TRUTH_COLUMNS, (list(row) for row in self.truth))

    def transactions(self, *, bank_id: str, file_id: str) -> list[Transaction]:
        """Return the entries as ledger `Transaction`s, numbered by CSV line."""
        return [
            entry.to_transaction(bank_id=bank_id, file_id=file_id, line_number=index)
            for index, entry in enumerate(self.entries, start=2)
        ]

    def write(
        self,
        directory: Path,
        *,
        ledger_name: str = "ledger.csv",
        truth_name: str = "truth.csv",
    ) -> tuple[Path, Path]:
        """Write the ledger and truth CSV files into `directory`; return their paths."""
        directory.mkdir(parents=True, exist_ok=True)
        ledger_path = directory / ledger_name
        truth_path = directory / truth_name
        ledger_path.write_text(self.csv_text, encoding="utf-8", newline="")
        truth_path.write_text(self.truth_csv_text, encoding="utf-8", newline="")
        return ledger_path, truth_path


@dataclass(slots=True)
class _Draft:
    entry: LedgerEntry
    statement_id: str | None


def generate_ledger(
    transactions: Sequence[Transaction],
    *,
    seed: int,
    account_map: dict[str, str],
    options: GeneratorOptions | None = None,
) -> GeneratedLedger:
    """Derive a ledger and its truth rows from statement `transactions`."""
    settings = options or GeneratorOptions()
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    accounts = {normalize_account(key): value for key, value in account_map.items()}
    drafts: list[_Draft] = []
    missing: list[str] = []
    for item in transactions:
        if item.record_kind is not RecordKind.STATEMENT:
            raise GeneratorError(
                f"transaction {item.transaction_id} is a {item.record_kind} record; "
                "pass statement transactions only"
            )
        if rng.random() < settings.missing_in_ledger_rate:
            missing.append(item.transaction_id)
            continue
        entry = _derive_entry(item, _ledger_account(item, accounts), rng, settings)
        drafts.append(_Draft(entry=entry, statement_id=item.transaction_id))
    drafts.extend(_ledger_only_drafts(transactions, accounts, rng, settings))
    return _number_entries(drafts, missing)


def _ledger_account(item: Transaction, accounts: dict[str, str]) -> str:
    account = accounts.get(normalize_account(item.account))
    if account is None:
        raise GeneratorError(
            f"statement account ending {item.account[-4:]} has no ledger account; "
            "add it to account_map"
        )
    return account


def _derive_entry(
    item: Transaction, account: str, rng: random.Random, options: GeneratorOptions
) -> LedgerEntry:
    magnitude = abs(item.amount)
    if rng.random() < options.fee_rate:
        magnitude += _fee(item.currency, rng, options)
    sign = 1 if item.direction is Direction.CREDIT else -1
    if options.mirror_signs:
        sign = -sign
    value_date = item.value_date
    if rng.random() < options.value_date_shift_rate:
        value_date += _day_offset(rng, options.max_value_date_shift_days)
    return LedgerEntry(
        entry_id="",
        account=account,
        booking_date=item.value_date + _day_offset(rng, options.max_booking_lag_days),
        value_date=value_date,
        amount=sign * magnitude,
        currency=item.currency.upper(),
        reference=_ledger_reference(item, rng, options),
        description=_one_line(item.remittance_info or item.counterparty_name or ""),
        counterparty=_one_line(item.counterparty_name or ""),
    )


def _fee(currency: str, rng: random.Random, options: GeneratorOptions) -> Decimal:
    """Return a fee in whole minor units of `currency` within the fee range."""
    scale = minor_units(currency)
    low = max(1, int(options.fee_min.scaleb(scale)))
    high = max(low, int(options.fee_max.scaleb(scale)))
    return Decimal(rng.randint(low, high)).scaleb(-scale)


def _day_offset(rng: random.Random, max_days: int) -> timedelta:
    days = rng.randint(1, max_days)
    return timedelta(days=days if rng.random() < 0.5 else -days)


def _statement_reference(item: Transaction) -> str:
    for value in (item.customer_reference, item.end_to_end_id, item.bank_reference):
        if value and value.strip().upper() not in _PLACEHOLDER_REFERENCES:
            return value.strip()
    return ""


def _ledger_reference(
    item: Transaction, rng: random.Random, options: GeneratorOptions
) -> str:
    """Rewrite the statement's reference the way a clerk or ERP system would."""
    reference = _statement_reference(item)
    if not reference or rng.random() >= options.reference_change_rate:
        return reference
    style = rng.randrange(5)
    if style == 0:
        return reference.lower()
    if style == 1:
        plain = re.sub(r"[^0-9A-Za-z]", "", reference)
        return " ".join(plain[index : index + 4] for index in range(0, len(plain), 4))
    if style == 2:
        return re.sub(r"[^0-9A-Za-z]+", "-", reference).strip("-").upper()
    if style == 3:
        return "0" * rng.randint(1, 3) + reference
    prefix = options.reference_prefix
    if reference.upper().startswith(re.sub(r"[^0-9A-Z]", "", prefix.upper())):
        return reference
    return prefix + reference


def _ledger_only_drafts(
    transactions: Sequence[Transaction],
    accounts: dict[str, str],
    rng: random.Random,
    options: GeneratorOptions,
) -> list[_Draft]:
    """Return entries the bank booked that the statement does not show."""
    count = round(len(transactions) * options.ledger_only_rate)
    drafts: list[_Draft] = []
    for index in range(count):
        template = transactions[rng.randrange(len(transactions))]
        currency = template.currency.upper()
        scale = minor_units(currency)
        magnitude = Decimal(rng.randint(100, 1_000_000)).scaleb(-min(scale, 2))
        sign = 1 if rng.random() < 0.5 else -1
        entry = LedgerEntry(
            entry_id="",
            account=_ledger_account(template, accounts),
            booking_date=template.value_date,
            value_date=template.value_date,
            amount=sign * magnitude,
            currency=currency,
            reference=f"ADJ-{index + 1:05d}",
            description=rng.choice(_LEDGER_ONLY_DESCRIPTIONS),
            counterparty="",
        )
        drafts.append(_Draft(entry=entry, statement_id=None))
    return drafts


def _number_entries(drafts: list[_Draft], missing: list[str]) -> GeneratedLedger:
    """Sort drafts by booking date, as books are, and give them entry ids."""
    ordered = sorted(
        enumerate(drafts), key=lambda pair: (pair[1].entry.booking_date, pair[0])
    )
    entries: list[LedgerEntry] = []
    truth: list[TruthRow] = []
    ledger_only: list[str] = []
    for number, (_, draft) in enumerate(ordered, start=1):
        entry_id = f"JE{number:07d}"
        entries.append(replace(draft.entry, entry_id=entry_id))
        if draft.statement_id is None:
            ledger_only.append(entry_id)
        else:
            truth.append(TruthRow(entry_id, draft.statement_id))
    return GeneratedLedger(
        entries=entries,
        truth=truth,
        missing_statement_ids=missing,
        ledger_only_ids=ledger_only,
    )


def _format_amount(amount: Decimal, currency: str) -> str:
    return str(amount.quantize(Decimal(1).scaleb(-minor_units(currency))))


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _csv_text(header: Sequence[str], rows: object) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)  # type: ignore[arg-type]
    return buffer.getvalue()


def _argument_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m recon_platform.ledger_generator",
        description="Derive a ledger CSV and a truth CSV from statement transactions.",
    )
    parser.add_argument(
        "statement_json", type=Path, help="JSON file with a list of Transaction objects"
    )
    parser.add_argument(
        "--seed",
        type=int,
        required=True,
        help="seed of the random generator; the same seed gives the same files",
    )
    parser.add_argument(
        "--out", type=Path, required=True, help="directory for ledger.csv and truth.csv"
    )
    parser.add_argument(
        "--account",
        action="append",
        default=[],
        metavar="STATEMENT=LEDGER",
        help="ledger account of a statement account (repeatable); an unmapped "
        "account keeps its statement spelling",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Generate a ledger and truth file from a statement JSON file."""
    parser = _argument_parser()
    arguments = parser.parse_args(argv)

    text = arguments.statement_json.read_text(encoding="utf-8")
    transactions = [Transaction.model_validate(item) for item in json.loads(text)]
    account_map = {item.account: item.account for item in transactions}
    for pair in arguments.account:
        statement_account, separator, ledger_account = pair.partition("=")
        if not separator:
            parser.error(f"--account {pair!r} lacks '='; write STATEMENT=LEDGER")
        account_map[statement_account] = ledger_account

    generated = generate_ledger(
        transactions, seed=arguments.seed, account_map=account_map
    )
    ledger_path, truth_path = generated.write(arguments.out)
    sys.stdout.write(f"wrote {ledger_path} and {truth_path}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
