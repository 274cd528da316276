"""Parse BAI2 cash-management files: file, group, account and transaction records.

Each `88` record continues the record before it. For an `03` account record the
continuation adds more summary fields, while for a `16` transaction record it adds to
the free text, which may itself hold commas and slashes. The closing `/` is optional
(many banks leave it off) and is removed once from the end of a record. Amounts are
integers in the currency's minor units. The control totals and record counts of the
`49`, `98` and `99` trailers are checked, because a mismatch means records were lost
or altered in transit.
"""

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from recon_common.events import Balance, Direction
from recon_common.money import minor_units

from recon_ingest.parsers.context import ParseContext, StatementTotals, check_statement
from recon_ingest.parsers.model import ParseRejected

_RECORD = re.compile(r"^(01|02|03|16|49|88|98|99),")
_AMOUNT = re.compile(r"^[+-]?\d+$")
# NOTE: BAI2 lets an omitted currency default to that of the originator's country.
# This parser assumes USD in that case and adds a warning to the result.
_DEFAULT_CURRENCY = "USD"
_OPENING_LEDGER, _CLOSING_LEDGER, _CLOSING_AVAILABLE = "010", "015", "045"


@dataclass
class _Record:
    code: str
    line: int
    fields: list[str]
    physical_records: int = 1


@dataclass
class _Account:
    record: _Record
    number: str
    currency: str
    as_of: date
    control_total: int = 0
    records: int = 0
    balances: dict[str, Balance] = field(default_factory=dict)
    entries: list[tuple[Direction, Decimal]] = field(default_factory=list)


@dataclass
class _Group:
    record: _Record
    currency: str | None
    as_of: date
    control_total: int = 0
    records: int = 1
    accounts: int = 0


def _logical_records(lines: list[str]) -> list[_Record]:
    records: list[_Record] = []
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        found = _RECORD.match(line)
        if found is None:
            raise ParseRejected(f'line {number}: "{line[:20]}" is not a BAI2 record')
        body = _strip_terminator(line[found.end() :])
        if found.group(1) != "88":
            records.append(_Record(found.group(1), number, body.split(",")))
            continue
        if not records:
            raise ParseRejected(f"line {number}: 88 continuation before any record")
        previous = records[-1]
        previous.physical_records += 1
        if previous.code == "16" and len(previous.fields) >= 6:
            previous.fields[-1] = _join_text(previous.fields[-1], body)
        else:
            previous.fields.extend(body.split(","))
    return records


def _strip_terminator(body: str) -> str:
    body = body.rstrip()
    return body[:-1] if body.endswith("/") else body


def _join_text(text: str, more: str) -> str:
    return f"{text}\n{more}" if text else more


def _date(text: str, *, where: str) -> date:
    if not re.fullmatch(r"\d{6}", text):
        raise ParseRejected(f'{where}: date "{text}" is not YYMMDD')
    try:
        return date(2000 + int(text[:2]), int(text[2:4]), int(text[4:6]))
    except ValueError:
        raise ParseRejected(f'{where}: date "{text}" is not a valid date') from None


def _integer(text: str, *, where: str, label: str) -> int:
    if not _AMOUNT.match(text.strip()):
        raise ParseRejected(f'{where}: {label} "{text}" is not a whole number')
    return int(text.strip())


class _Bai2Reader:
    def __init__(self, context: ParseContext) -> None:
        self.context = context
        self.group: _Group | None = None
        self.account: _Account | None = None
        self.file_total = 0
        self.file_records = 0
        self.groups = 0
        self.currency_assumed = False
        self.closed = False

    def read(self, records: list[_Record]) -> None:
        if not records or records[0].code != "01":
            raise ParseRejected("line 1: BAI2 file does not start with an 01 record")
        for record in records:
            if self.closed:
                raise ParseRejected(f"line {record.line}: record after the 99 trailer")
            self.file_records += record.physical_records
            if self.group is not None:
                self.group.records += record.physical_records
            if self.account is not None:
                self.account.records += record.physical_records
            self._dispatch(record)
        if not self.closed:
            raise ParseRejected("BAI2 file ends without a 99 file trailer")
        if self.currency_assumed:
            self.context.warnings.append(
                f"no currency given for some accounts, so {_DEFAULT_CURRENCY} "
                "was assumed"
            )

    def _dispatch(self, record: _Record) -> None:
        match record.code:
            case "01":
                if record.line != 1 and self.file_records > record.physical_records:
                    raise ParseRejected(f"line {record.line}: second 01 file header")
            case "02":
                self._group_header(record)
            case "03":
                self._account_header(record)
            case "16":
                self._transaction(record)
            case "49":
                self._account_trailer(record)
            case "98":
                self._group_trailer(record)
            case _:
                self._file_trailer(record)

    def _group_header(self, record: _Record) -> None:
        where = f"line {record.line}: 02"
        if self.group is not None:
            raise ParseRejected(f"{where} group header before the previous 98 trailer")
        fields = record.fields + [""] * 6
        self.group = _Group(
            record=record,
            currency=fields[5].strip() or None,
            as_of=_date(fields[3].strip(), where=where),
        )
        self.groups += 1

    def _account_header(self, record: _Record) -> None:
        where = f"line {record.line}: 03"
        group = self._require_group(record)
        if self.account is not None:
            raise ParseRejected(f"{where} account before the previous 49 trailer")
        fields = record.fields + [""]
        currency = fields[1].strip() or group.currency
        if currency is None:
            currency, self.currency_assumed = _DEFAULT_CURRENCY, True
        account = _Account(
            record=record,
            number=fields[0].strip(),
            currency=currency.upper(),
            as_of=group.as_of,
            records=record.physical_records,
        )
        if not account.number:
            raise ParseRejected(f"{where} account number is empty")
        self._read_summaries(account, record.fields[2:], where=where)
        self.account = account

    def _read_summaries(
        self, account: _Account, fields: list[str], *, where: str
    ) -> None:
        index = 0
        while index < len(fields):
            type_code = fields[index].strip()
            if not type_code:
                # Some banks write an extra empty field before "/" or an empty summary
                # (",,,,"), so an empty type code is skipped one field at a time.
                index += 1
                continue
            amount_text = fields[index + 1].strip() if index + 1 < len(fields) else ""
            funds = fields[index + 3].strip() if index + 3 < len(fields) else ""
            index += 4 + _funds_detail_length(fields, index + 3, funds, where=where)
            if not amount_text:
                continue
            amount = _integer(amount_text, where=where, label="amount")
            account.control_total += amount
            if type_code in {_OPENING_LEDGER, _CLOSING_LEDGER, _CLOSING_AVAILABLE}:
                value = Decimal(amount).scaleb(-minor_units(account.currency))
                account.balances[type_code] = Balance(
                    amount=value, currency=account.currency, date=account.as_of
                )

    def _transaction(self, record: _Record) -> None:
        where = f"line {record.line}: 16"
        account = self._require_account(record)
        fields = record.fields
        if len(fields) < 2:
            raise ParseRejected(f"{where} type code and amount are missing")
        type_code = fields[0].strip()
        amount = _integer(fields[1], where=where, label="amount")
        account.control_total += amount

        funds = fields[2].strip() if len(fields) > 2 else ""
        detail_length = _funds_detail_length(fields, 2, funds, where=where)
        value_date = account.as_of
        if funds == "V":
            value_date = _date(fields[3].strip(), where=where)
        rest = fields[3 + detail_length :] + ["", ""]

        direction = _direction(type_code, where=where)
        value = Decimal(abs(amount)).scaleb(-minor_units(account.currency))
        account.entries.append((direction, value))
        self.context.add_transaction(
            account=account.number,
            currency=account.currency,
            amount=value,
            direction=direction,
            value_date=value_date,
            booking_date=account.as_of,
            bank_reference=rest[0].strip() or None,
            customer_reference=rest[1].strip() or None,
            remittance_info=",".join(rest[2:]).strip(", \n") or None,
            bank_transaction_code=type_code,
            source_location=f"line {record.line}",
        )

    def _account_trailer(self, record: _Record) -> None:
        where = f"line {record.line}: 49"
        account = self._require_account(record)
        fields = record.fields + ["", ""]
        if fields[0].strip():
            total = _integer(fields[0], where=where, label="control total")
            _compare(where, "account control total", total, account.control_total)
        count = _integer(fields[1], where=where, label="record count")
        _compare(where, "account record count", count, account.records)
        group = self._require_group(record)
        group.control_total += account.control_total
        group.accounts += 1
        self._finish_account(account)
        self.account = None

    def _group_trailer(self, record: _Record) -> None:
        where = f"line {record.line}: 98"
        group = self._require_group(record)
        if self.account is not None:
            raise ParseRejected(f"{where} group trailer before the 49 account trailer")
        fields = record.fields + ["", "", ""]
        total = _integer(fields[0], where=where, label="control total")
        _compare(where, "group control total", total, group.control_total)
        accounts = _integer(fields[1], where=where, label="account count")
        _compare(where, "number of accounts", accounts, group.accounts)
        count = _integer(fields[2], where=where, label="record count")
        _compare(where, "group record count", count, group.records)
        self.file_total += group.control_total
        self.group = None

    def _file_trailer(self, record: _Record) -> None:
        where = f"line {record.line}: 99"
        if self.group is not None:
            raise ParseRejected(f"{where} file trailer before the 98 group trailer")
        fields = record.fields + ["", "", ""]
        total = _integer(fields[0], where=where, label="control total")
        _compare(where, "file control total", total, self.file_total)
        groups = _integer(fields[1], where=where, label="group count")
        _compare(where, "number of groups", groups, self.groups)
        count = _integer(fields[2], where=where, label="record count")
        _compare(where, "file record count", count, self.file_records)
        self.closed = True

    def _finish_account(self, account: _Account) -> None:
        self.context.statements.append(
            check_statement(
                StatementTotals(
                    account=account.number,
                    statement_id=None,
                    sequence=None,
                    opening=account.balances.get(_OPENING_LEDGER),
                    closing=account.balances.get(_CLOSING_LEDGER),
                    available=account.balances.get(_CLOSING_AVAILABLE),
                    entries=account.entries,
                    location=f"line {account.record.line}",
                ),
                settings=self.context.settings,
            )
        )

    def _require_group(self, record: _Record) -> _Group:
        if self.group is None:
            raise ParseRejected(f"line {record.line}: {record.code} outside a 02 group")
        return self.group

    def _require_account(self, record: _Record) -> _Account:
        if self.account is None:
            raise ParseRejected(
                f"line {record.line}: {record.code} outside an 03 account"
            )
        return self.account


def _funds_detail_length(
    fields: list[str], index: int, funds: str, *, where: str
) -> int:
    """Return how many fields follow the funds type code as its details."""
    match funds:
        case "S":
            return 3
        case "V":
            return 2
        case "D":
            count_text = fields[index + 1].strip() if index + 1 < len(fields) else ""
            count = _integer(count_text, where=where, label="distribution count")
            return 1 + 2 * count
        case "" | "0" | "1" | "2" | "Z":
            return 0
        case _:
            raise ParseRejected(
                f'{where} funds type "{funds}" is not 0, 1, 2, S, V, D or Z'
            )


def _direction(type_code: str, *, where: str) -> Direction:
    # BAI2 assigns detail codes 100-399 to credits and 400-699 to debits. Loan (7xx)
    # and bank-defined (9xx) codes carry no direction, so they are rejected.
    if re.fullmatch(r"\d{3}", type_code):
        if 100 <= int(type_code) <= 399:
            return Direction.CREDIT
        if 400 <= int(type_code) <= 699:
            return Direction.DEBIT
    raise ParseRejected(
        f'{where} type code "{type_code}" is not a credit (100-399) or debit '
        "(400-699) detail code"
    )


def _compare(where: str, label: str, stated: int, counted: int) -> None:
    if stated != counted:
        raise ParseRejected(
            f"{where} {label} is {stated} but the records add up to {counted}"
        )


def parse_bai2(lines: list[str], *, context: ParseContext) -> None:
    """Parse BAI2 lines into the context's statements and transactions."""
    _Bai2Reader(context).read(_logical_records(lines))
