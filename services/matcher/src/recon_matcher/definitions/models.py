"""Reconciliation definitions: which records face each other and how they match.

A definition names two sides (side A is usually the correspondent's statement, side B
the bank's own ledger), the pairs of accounts that are one account written two ways,
and an ordered list of passes. Each pass matches what the earlier passes left over.

Passes form a tagged union on `kind`. A new kind of pass is a new model in `PassConfig`,
and new options get defaults, so definition files written today stay valid.
"""

import re
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Final, Literal, Self

import polars as pl
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)
from recon_common.events import RecordKind

from recon_matcher.definitions.currencies import CurrencyCode, check_currency


class DefinitionModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Side(StrEnum):
    A = "a"
    B = "b"


class MatchField(StrEnum):
    """A value that an exact pass can require to be equal on both sides."""

    REFERENCE = "reference"
    AMOUNT = "amount"
    CURRENCY = "currency"
    ACCOUNT = "account"
    VALUE_DATE = "value_date"


class ReferenceSource(StrEnum):
    """A `Transaction` field that can carry the reference that both sides share."""

    CUSTOMER_REFERENCE = "customer_reference"
    BANK_REFERENCE = "bank_reference"
    END_TO_END_ID = "end_to_end_id"
    REMITTANCE_INFO = "remittance_info"


class DateField(StrEnum):
    VALUE_DATE = "value_date"
    BOOKING_DATE = "booking_date"


class Grouping(StrEnum):
    """The number of items of each side that one match group may contain."""

    ONE_TO_ONE = "one_to_one"
    ONE_TO_MANY = "one_to_many"
    MANY_TO_ONE = "many_to_one"
    MANY_TO_MANY = "many_to_many"


class Similarity(StrEnum):
    """A string similarity measure for references, from 0 (different) to 1 (equal)."""

    LEVENSHTEIN = "levenshtein"
    JARO_WINKLER = "jaro_winkler"


def normalize_account(account: str) -> str:
    """Return `account` upper-cased without whitespace, the form that is compared."""
    return "".join(account.split()).upper()


def _regex_error_text(text: str, pattern: str) -> str:
    """Return the regex engine's error on one line, with the place it marks."""
    # polars 2.1 passes on the Rust regex crate's message. For a one-line pattern
    # its lines are "regex parse error:", the pattern indented by four spaces,
    # carets under the invalid part, and "error: <reason>". Other shapes keep the
    # reason, or the whole text when there is no "error:" line.
    lines = text.removeprefix("regex error: ").splitlines()
    reasons = [
        line.removeprefix("error: ") for line in lines if line.startswith("error: ")
    ]
    if not reasons:
        return " ".join(text.split())
    message = f"{lines[0].rstrip(':')}: {reasons[-1]}"
    if len(lines) == 4 and lines[1] == f"    {pattern}" and "^" in lines[2]:
        start = lines[2].index("^") - 4
        part = pattern[start : start + lines[2].count("^")]
        message += f" (at `{part}`, character {start + 1})"
    return message


def validate_extract_pattern(pattern: str) -> str:
    """Raise ValueError unless `pattern` is a polars regex with exactly one group."""
    try:
        groups = pl.Series([""], dtype=pl.String).str.extract_groups(pattern)
    except pl.exceptions.PolarsError as error:
        raise ValueError(
            f"invalid regular expression `{pattern}`: "
            f"{_regex_error_text(str(error), pattern)}; the matcher uses Rust regex "
            "syntax, which has no look-around and no back-references"
        ) from None
    count = len(groups.struct.fields)
    if count == 0:
        raise ValueError(
            f"pattern `{pattern}` has no capturing group but needs exactly one; put "
            "brackets around the part to extract, as in INV-(\\d+)"
        )
    if count > 1:
        raise ValueError(
            f"pattern `{pattern}` has {count} capturing groups but needs exactly one; "
            "turn the others into non-capturing groups with (?:...)"
        )
    return pattern


class SideFilter(DefinitionModel):
    """The records that belong to one side of a reconciliation."""

    record_kind: RecordKind
    accounts: list[str] = Field(default_factory=list)
    account_pattern: str | None = None
    currencies: list[CurrencyCode] = Field(default_factory=list)
    source_formats: list[str] = Field(default_factory=list)

    @field_validator("accounts")
    @classmethod
    def _normalize_accounts(cls, accounts: list[str]) -> list[str]:
        return [normalize_account(account) for account in accounts]

    @field_validator("account_pattern")
    @classmethod
    def _check_pattern(cls, pattern: str | None) -> str | None:
        if pattern is None:
            return None
        try:
            re.compile(pattern)
        except re.error as error:
            raise ValueError(
                f"invalid regular expression `{pattern}`: {error}; "
                "write a Python regular expression that matches the whole account"
            ) from None
        return pattern

    @model_validator(mode="after")
    def _require_accounts(self) -> Self:
        if not self.accounts and self.account_pattern is None:
            raise ValueError(
                "no accounts selected; add `accounts: [...]`, or "
                "`account_pattern: '.*'` to take every account"
            )
        return self


class AccountPair(DefinitionModel):
    """One account as side A writes it and as side B writes it."""

    side_a: str
    side_b: str
    key: str | None = Field(
        default=None,
        description="Reconciliation account key, by default the side A account",
    )

    @field_validator("side_a", "side_b")
    @classmethod
    def _normalize(cls, account: str) -> str:
        return normalize_account(account)

    @property
    def account_key(self) -> str:
        """The key that both accounts of this pair match under."""
        return self.key if self.key is not None else self.side_a


class SideReference(DefinitionModel):
    """The source of one side's reference: fields tried in order, then a pattern."""

    fields: list[ReferenceSource] = Field(
        default_factory=lambda: [
            ReferenceSource.CUSTOMER_REFERENCE,
            ReferenceSource.END_TO_END_ID,
            ReferenceSource.BANK_REFERENCE,
        ],
        min_length=1,
    )
    pattern: str | None = None

    @field_validator("pattern")
    @classmethod
    def _check_pattern(cls, pattern: str | None) -> str | None:
        return None if pattern is None else validate_extract_pattern(pattern)


class ReferenceRule(DefinitionModel):
    """Rules that find and normalize references before they are compared."""

    side_a: SideReference = Field(default_factory=SideReference)
    side_b: SideReference = Field(default_factory=SideReference)
    strip_leading_zeros: bool = True
    ignore: list[str] = Field(default_factory=lambda: ["NONREF", "NOTPROVIDED"])


class Thresholds(DefinitionModel):
    """Score limits of a pass, each from 0 to 1.

    No group forms below `min_score`. A group at or above `auto_confirm` is
    confirmed, and one below it waits for an operator's review. Without
    `auto_confirm` every group that forms is confirmed.
    """

    min_score: Decimal = Field(default=Decimal(0), ge=0, le=1)
    auto_confirm: Decimal | None = Field(default=None, ge=0, le=1)

    @model_validator(mode="after")
    def _check_order(self) -> Self:
        if self.auto_confirm is not None and self.auto_confirm < self.min_score:
            raise ValueError(
                f"auto_confirm {self.auto_confirm} is below min_score "
                f"{self.min_score}; set auto_confirm to min_score or higher"
            )
        return self

    @property
    def confirm_score(self) -> Decimal:
        """The lowest score at which a group is confirmed without review."""
        return self.min_score if self.auto_confirm is None else self.auto_confirm


class PassBase(DefinitionModel):
    """Options that every pass kind has.

    `max_group_size` limits the items on each side of a group when `grouping` is not
    `one_to_one`. A tolerance pass searches subsets of at most `max_group_candidates`
    items per anchor item, the ones closest in date, so its work per item is bounded.
    """

    name: str = Field(min_length=1)
    grouping: Grouping = Grouping.ONE_TO_ONE
    max_group_size: int = Field(default=3, ge=2, le=6)
    max_group_candidates: int = Field(default=10, ge=2, le=16)
    thresholds: Thresholds = Field(default_factory=Thresholds)


class ExactPass(PassBase):
    """Match items whose listed fields are all equal."""

    kind: Literal["exact"]
    fields: list[MatchField] = Field(
        default_factory=lambda: [
            MatchField.REFERENCE,
            MatchField.AMOUNT,
            MatchField.CURRENCY,
            MatchField.ACCOUNT,
        ],
        min_length=1,
    )
    reference: ReferenceRule = Field(default_factory=ReferenceRule)

    @field_validator("fields")
    @classmethod
    def _check_fields(cls, fields: list[MatchField]) -> list[MatchField]:
        if len(set(fields)) != len(fields):
            raise ValueError("a field is listed twice; list each field once")
        if MatchField.REFERENCE not in fields and MatchField.AMOUNT not in fields:
            raise ValueError(
                "fields need `reference` or `amount`, because the other fields alone "
                "pair every item of an account with every other"
            )
        if MatchField.CURRENCY not in fields:
            raise ValueError(
                "fields lack `currency`; add it, because amounts in different "
                "currencies cannot be compared"
            )
        return fields

    @model_validator(mode="after")
    def _check_grouping(self) -> Self:
        if self.grouping is Grouping.ONE_TO_ONE:
            return self
        if MatchField.AMOUNT not in self.fields:
            raise ValueError(
                f"grouping {self.grouping} compares sums of amounts, so fields need "
                "`amount`; add it or use grouping one_to_one"
            )
        if not {MatchField.REFERENCE, MatchField.VALUE_DATE} & set(self.fields):
            raise ValueError(
                f"grouping {self.grouping} groups the items with equal fields, so "
                "fields need `reference` or `value_date`; add one of them"
            )
        return self


class DateWindow(DefinitionModel):
    """The days that side B's date may lie before or after side A's date."""

    days_before: int = Field(default=0, ge=0, le=366)
    days_after: int = Field(default=0, ge=0, le=366)


# The largest amount tolerance, in currency units. The engine compares amounts as
# Int64 minor units, and a trillion units of a currency with four decimals is
# 10**16, well below Int64's maximum of about 9.2 * 10**18.
MAX_AMOUNT_TOLERANCE: Final = Decimal(10) ** 12


class AmountDateLimits(PassBase):
    """The amount tolerance and date window that tolerance and fuzzy passes share.

    The allowed amount difference is the absolute tolerance of the currency or, when
    `amount_tolerance_percent` is set and gives more, that percentage of side A's
    absolute amount.
    """

    amount_tolerance: Decimal = Field(default=Decimal(0), ge=0, le=MAX_AMOUNT_TOLERANCE)
    currency_tolerances: dict[str, Decimal] = Field(default_factory=dict)
    amount_tolerance_percent: Decimal | None = Field(
        default=None, ge=0, le=100, decimal_places=4
    )
    inclusive: bool = True
    date_window_days: int | None = Field(default=None, ge=0, le=366)
    date_window: DateWindow | None = None
    date_a: DateField = DateField.VALUE_DATE
    date_b: DateField = DateField.VALUE_DATE

    @field_validator("currency_tolerances")
    @classmethod
    def _check_currency_tolerances(
        cls, tolerances: dict[str, Decimal], info: ValidationInfo
    ) -> dict[str, Decimal]:
        checked: dict[str, Decimal] = {}
        for code, tolerance in tolerances.items():
            if tolerance < 0:
                raise ValueError(
                    f"tolerance for {code} is negative ({tolerance}); use 0 or more"
                )
            if tolerance > MAX_AMOUNT_TOLERANCE:
                raise ValueError(
                    f"tolerance for {code} is {tolerance}, more than the maximum "
                    f"{MAX_AMOUNT_TOLERANCE}; use a smaller value"
                )
            checked[check_currency(code, info)] = tolerance
        return checked

    @model_validator(mode="after")
    def _check_window(self) -> Self:
        if self.date_window_days is not None and self.date_window is not None:
            raise ValueError(
                "both `date_window_days` and `date_window` are set; keep one"
            )
        return self

    def window(self) -> DateWindow:
        """Return the date window, symmetric when set with `date_window_days`."""
        if self.date_window is not None:
            return self.date_window
        days = self.date_window_days or 0
        return DateWindow(days_before=days, days_after=days)

    def tolerance_for(self, currency: str) -> Decimal:
        """Return the amount tolerance that applies to `currency`."""
        return self.currency_tolerances.get(currency.upper(), self.amount_tolerance)


class TolerancePass(AmountDateLimits):
    """Match items with equal currency and account, close amounts and close dates.

    With `one_to_many` or `many_to_one` grouping the sum of the many side must lie
    within the tolerance of the one item, and every item within the date window.
    """

    kind: Literal["tolerance"]

    @model_validator(mode="after")
    def _check_grouping(self) -> Self:
        if self.grouping is Grouping.MANY_TO_MANY:
            raise ValueError(
                "a tolerance pass cannot search subsets of both sides; use "
                "one_to_many or many_to_one, or an exact pass with `reference` "
                "in its fields for many_to_many"
            )
        return self


class FuzzyPass(AmountDateLimits):
    """Match items whose references are similar and whose amounts and dates are close.

    The references are found and normalized as in an exact pass, then compared with
    `similarity`. A pair needs at least `min_similarity` and must also meet the
    amount tolerance and date window of a tolerance pass.
    """

    kind: Literal["fuzzy"]
    reference: ReferenceRule = Field(default_factory=ReferenceRule)
    similarity: Similarity = Similarity.LEVENSHTEIN
    min_similarity: Decimal = Field(default=Decimal("0.8"), gt=0, le=1)

    @model_validator(mode="after")
    def _check_grouping(self) -> Self:
        if self.grouping is not Grouping.ONE_TO_ONE:
            raise ValueError(
                "a fuzzy pass pairs one item with one item; remove `grouping` or "
                "set it to one_to_one"
            )
        return self


PassConfig = Annotated[
    ExactPass | TolerancePass | FuzzyPass, Field(discriminator="kind")
]


class AmountSign(StrEnum):
    """The sign of side B's amounts relative to side A's."""

    SAME = "same"
    OPPOSITE = "opposite"


class Definition(DefinitionModel):
    """One reconciliation: two sides, account pairs and the ordered passes."""

    # 100 is the length of the `reconciliation_id` columns that store the id.
    id: str = Field(min_length=1, max_length=100)
    name: str = Field(min_length=1)
    bank_id: str = Field(min_length=1)
    side_a: SideFilter
    side_b: SideFilter
    account_pairs: list[AccountPair] = Field(default_factory=list)
    side_b_sign: AmountSign = AmountSign.SAME
    passes: list[PassConfig] = Field(min_length=1)
    # The stored version this definition was read from. Not part of the body, so
    # it is never accepted as input, dumped or compared by the store.
    _stored_version: int | None = PrivateAttr(default=None)

    @property
    def stored_version(self) -> int | None:
        """Return the stored version it was read from, or None if not from the store."""
        return self._stored_version

    def at_version(self, version: int) -> Self:
        """Return a copy that records it was read from stored `version`."""
        copy = self.model_copy()
        copy._stored_version = version
        return copy

    @model_validator(mode="after")
    def _check_passes_and_pairs(self) -> Self:
        names = [item.name for item in self.passes]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(
                f"pass names {duplicates} are used more than once; "
                "give every pass its own name"
            )
        _check_pairs(self.account_pairs, Side.A)
        _check_pairs(self.account_pairs, Side.B)
        return self

    def account_keys(self, side: Side) -> dict[str, str]:
        """Return the reconciliation account key of each listed account of `side`."""
        if side is Side.A:
            return {pair.side_a: pair.account_key for pair in self.account_pairs}
        return {pair.side_b: pair.account_key for pair in self.account_pairs}

    def side_filter(self, side: Side) -> SideFilter:
        """Return the filter of `side`."""
        return self.side_a if side is Side.A else self.side_b


def _check_pairs(pairs: list[AccountPair], side: Side) -> None:
    keys: dict[str, str] = {}
    for pair in pairs:
        account = pair.side_a if side is Side.A else pair.side_b
        known = keys.setdefault(account, pair.account_key)
        if known != pair.account_key:
            raise ValueError(
                f"side {side} account ending {account[-4:]} is paired with two keys "
                f"({known!r} and {pair.account_key!r}); give these pairs the same `key`"
            )
