"""Intraday reports (MT942, camt.052): reconciled only where a side names the format.

The end-of-day statement repeats the entries of the day's intraday reports, so a
side without `source_formats` leaves intraday entries unassigned.
"""

from pathlib import Path

import pytest
from conftest import Matcher
from definition_factories import (
    DEFINITION_ID,
    LEDGER_ACCOUNT,
    STATEMENT_ACCOUNT,
    definition_yaml,
    feed,
    file_text,
    item,
    write_file,
)
from recon_common.events import RecordKind, Transaction
from recon_matcher.definitions import Definition, ExactPass, SideFilter, matches_filter
from recon_matcher.definitions.overlaps import overlap_warnings
from test_definition_adoption import assignments, grouped

LEDGER = RecordKind.LEDGER
DESK_ACCOUNT = "DK5000400440116243"
DESK_FILTER = f"accounts: [{DESK_ACCOUNT}], source_formats: [mt942]"


def _entry(source_format: str) -> Transaction:
    return item("s1", "100.00", reference="INV-1").model_copy(
        update={"source_format": source_format}
    )


def _statement_filter(*source_formats: str) -> SideFilter:
    return SideFilter(
        record_kind=RecordKind.STATEMENT,
        accounts=[STATEMENT_ACCOUNT],
        source_formats=list(source_formats),
    )


@pytest.mark.parametrize(
    ("source_formats", "source_format", "expected"),
    [
        ((), "mt940", True),
        ((), "camt.053", True),
        ((), "mt942", False),
        ((), "camt.052", False),
        (("mt942",), "mt942", True),
        (("mt942",), "camt.052", False),
        (("camt.052", "camt.053"), "camt.052", True),
        (("mt940",), "mt942", False),
    ],
)
def test_intraday_filter_needs_named_format(
    source_formats: tuple[str, ...], source_format: str, expected: bool
) -> None:
    side_filter = _statement_filter(*source_formats)

    passed = matches_filter(side_filter, _entry(source_format))

    assert passed is expected


def test_intraday_overlap_needs_shared_format() -> None:
    def definition(definition_id: str, *source_formats: str) -> Definition:
        return Definition(
            id=definition_id,
            name=definition_id,
            bank_id="bank-1",
            side_a=_statement_filter(*source_formats),
            side_b=SideFilter(record_kind=LEDGER, accounts=[definition_id]),
            passes=[ExactPass.model_validate({"name": "reference", "kind": "exact"})],
        )

    end_of_day = definition("end-of-day")

    intraday_only = overlap_warnings(definition("intraday", "mt942"), [end_of_day])
    both = overlap_warnings(definition("both", "mt942", "mt940"), [end_of_day])

    assert intraday_only == []
    assert len(both) == 1


async def test_intraday_entry_routed_by_named_format(
    matcher: Matcher, definitions_file: Path
) -> None:
    # Another account pair, whose statement side names mt942.
    named = (
        definition_yaml(name="Intraday desk")
        .replace(DEFINITION_ID, "intraday-desk")
        .replace(f"accounts: [{STATEMENT_ACCOUNT}]", f"{DESK_FILTER}")
        .replace(STATEMENT_ACCOUNT, DESK_ACCOUNT)
        .replace(LEDGER_ACCOUNT, "100300")
    )
    write_file(definitions_file, file_text(definition_yaml(), named))
    app = await matcher.start()
    desk_entry = _entry("mt942").model_copy(
        update={"transaction_id": "s2", "account": DESK_ACCOUNT}
    )

    await feed(
        app,
        "f1",
        [
            _entry("mt942"),
            desk_entry,
            item("l1", "100.00", kind=LEDGER, reference="INV-1"),
        ],
    )

    stored = await assignments(app)
    groups = await grouped(app)
    assert stored["s1"] == (None, None)
    assert stored["s2"] == ("intraday-desk", "a")
    assert "s1" not in groups
    assert stored["l1"] == (DEFINITION_ID, "b")


async def test_intraday_entry_not_adopted(
    matcher: Matcher, definitions_file: Path
) -> None:
    write_file(definitions_file, None)
    app = await matcher.start()
    await feed(
        app,
        "f1",
        [
            _entry("mt942"),
            _entry("mt940").model_copy(update={"transaction_id": "s2"}),
            item("l1", "100.00", kind=LEDGER, reference="INV-1"),
        ],
    )
    await matcher.stop()
    write_file(definitions_file, file_text(definition_yaml()))

    restarted = await matcher.start()

    stored = await assignments(restarted)
    assert stored["s1"] == (None, None)
    assert stored["s2"] == (DEFINITION_ID, "a")
    assert sorted(await grouped(restarted)) == ["l1", "s2"]
