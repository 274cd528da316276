"""Loading definitions from YAML, and the errors for invalid files."""

from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from recon_matcher.definitions import (
    DefinitionError,
    ExactPass,
    Side,
    TolerancePass,
    dump_definition,
    load_definitions,
    parse_definitions,
)
from recon_matcher.definitions.loader import parse_definition

VALID = """
definitions:
  - id: nostro-eur
    name: Nostro EUR at ABN AMRO
    bank_id: bank-1
    side_a:
      record_kind: statement
      accounts: [NL91 ABNA 0417 1643 00]
      source_formats: [mt940, camt.053]
    side_b:
      record_kind: ledger
      accounts: ["100200"]
    account_pairs:
      - {side_a: NL91ABNA0417164300, side_b: "100200"}
    passes:
      - name: reference
        kind: exact
        reference:
          side_b: {pattern: '(?i)^\\s*(?:inv[-\\s]*)?(.+)$'}
      - name: amount-and-date
        kind: tolerance
        amount_tolerance: 5.10
        currency_tolerances: {jpy: 500}
        date_window_days: 3
  - id: nostro-usd
    name: Nostro USD
    bank_id: bank-1
    side_a: {record_kind: statement, account_pattern: 'US.*', currencies: [usd]}
    side_b: {record_kind: ledger, accounts: ["200300"]}
    passes:
      - {name: exact, kind: exact}
"""


def _error(text: str) -> str:
    with pytest.raises(DefinitionError) as caught:
        parse_definitions(text, source="defs.yaml")
    return str(caught.value)


def _single(body: str) -> str:
    return (
        "id: d1\nname: D\nbank_id: b\n"
        "side_a: {record_kind: statement, accounts: [A1]}\n"
        "side_b: {record_kind: ledger, accounts: [B1]}\n" + body
    )


def test_loader_reads_file(tmp_path: Path) -> None:
    path = tmp_path / "definitions.yaml"
    path.write_text(VALID, encoding="utf-8")

    definitions = load_definitions(path)

    first = definitions[0]
    assert [item.id for item in definitions] == ["nostro-eur", "nostro-usd"]
    assert first.side_a.accounts == ["NL91ABNA0417164300"]
    assert isinstance(first.passes[0], ExactPass)
    assert isinstance(first.passes[1], TolerancePass)


def test_loader_decimals_exact() -> None:
    definitions = parse_definitions(VALID)

    second_pass = definitions[0].passes[1]
    assert isinstance(second_pass, TolerancePass)
    assert second_pass.amount_tolerance == Decimal("5.10")
    assert str(second_pass.amount_tolerance) == "5.10"
    assert second_pass.tolerance_for("JPY") == Decimal(500)
    assert definitions[1].side_a.currencies == ["USD"]


def test_loader_single_definition() -> None:
    definitions = parse_definitions(_single("passes: [{name: e, kind: exact}]"))

    assert definitions[0].id == "d1"


def test_loader_round_trip() -> None:
    definitions = parse_definitions(VALID)
    dumped = {"definitions": [dump_definition(item) for item in definitions]}

    again = parse_definitions(yaml.safe_dump(dumped))

    assert again == definitions


def test_loader_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError, match="cannot read the file"):
        load_definitions(tmp_path / "absent.yaml")


def test_loader_invalid_yaml_names_line() -> None:
    message = _error("definitions:\n  - id: [unclosed\n")

    assert message.startswith("defs.yaml: invalid YAML at line")


def test_loader_unknown_kind() -> None:
    message = _error(_single("passes: [{name: p, kind: exakt}]"))

    assert "definitions[0] (id d1).passes[0]" in message
    assert "set `kind` to `exact`, `tolerance` or `fuzzy`" in message


def test_loader_unknown_key() -> None:
    message = _error(_single("passes: [{name: p, kind: tolerance, colour: red}]"))

    assert "passes[0].colour" in message
    assert "remove this key or correct its spelling" in message


def test_loader_missing_key() -> None:
    message = _error("id: d1\nname: D\nbank_id: b\npasses: [{name: e, kind: exact}]")

    assert "defs.yaml: definitions[0] (id d1).side_a: Field required" in message
    assert "add this key" in message


def test_loader_negative_tolerance() -> None:
    message = _error(
        _single("passes: [{name: t, kind: tolerance, amount_tolerance: -1}]")
    )

    assert "passes[0].amount_tolerance" in message
    assert "use a larger value" in message


def test_loader_tolerance_above_maximum() -> None:
    body = "passes: [{name: t, kind: tolerance, amount_tolerance: 1e400}]"

    message = _error(_single(body))

    assert "passes[0].amount_tolerance: must be at most 1000000000000" in message
    assert "found 1e400; use a smaller value" in message


def test_loader_currency_tolerance_above_maximum() -> None:
    body = (
        "passes: [{name: t, kind: tolerance, "
        "currency_tolerances: {JPY: 99999999999999999999999}}]"
    )

    message = _error(_single(body))

    assert "passes[0].currency_tolerances" in message
    assert "tolerance for JPY is 99999999999999999999999" in message
    assert "more than the maximum 1000000000000; use a smaller value" in message


def test_loader_group_size_above_maximum() -> None:
    body = "passes: [{name: e, kind: exact, grouping: one_to_many, max_group_size: 7}]"

    message = _error(_single(body))

    assert "passes[0].max_group_size: must be at most 6, found 7" in message


def test_loader_misspelt_key_suggests_spelling() -> None:
    message = _error(
        _single("passes: [{name: t, kind: tolerance, amount_tolerence: 2}]")
    )

    assert "passes[0].amount_tolerence: Extra inputs are not permitted" in message
    assert "correct its spelling (`amount_tolerance`?)" in message


def test_loader_percent_tolerance_names_percent_key() -> None:
    message = _error(
        _single("passes: [{name: t, kind: tolerance, amount_tolerance: 5%}]")
    )

    assert "passes[0].amount_tolerance" in message
    assert "set a percentage as amount_tolerance_percent" in message


def test_loader_pattern_without_group() -> None:
    body = "passes: [{name: e, kind: exact, reference: {side_a: {pattern: 'INV.*'}}}]"

    message = _error(_single(body))

    assert "pattern `INV.*` has no capturing group" in message
    assert "put brackets around the part to extract" in message


def test_parse_definition_rejects_definitions_list() -> None:
    text = "definitions:\n  - id: d1\n"

    with pytest.raises(DefinitionError) as caught:
        parse_definition(text, source="<request>")

    assert str(caught.value) == (
        "<request>: found a `definitions` list, but a request carries one "
        "definition; send each entry of the list on its own, with its id in the path"
    )


def test_loader_pattern_group_count() -> None:
    body = "passes: [{name: e, kind: exact, reference: {side_a: {pattern: '(a)(b)'}}}]"

    message = _error(_single(body))

    assert "passes[0].reference.side_a.pattern" in message
    assert "needs exactly one" in message


def test_loader_unsupported_regex() -> None:
    body = (
        "passes: [{name: e, kind: exact, reference: {side_a: {pattern: '(?<=x)(y)'}}}]"
    )

    message = _error(_single(body))

    assert "no look-around" in message


def test_loader_fields_need_currency() -> None:
    message = _error(_single("passes: [{name: e, kind: exact, fields: [reference]}]"))

    assert "fields lack `currency`" in message


def test_loader_duplicate_pass_names() -> None:
    body = "passes: [{name: e, kind: exact}, {name: e, kind: tolerance}]"

    message = _error(_single(body))

    assert "give every pass its own name" in message


def test_loader_duplicate_definition_ids() -> None:
    one = _single("passes: [{name: e, kind: exact}]")
    indented = "\n".join("    " + line for line in one.splitlines())
    text = "definitions:\n  -\n" + indented + "\n  -\n" + indented + "\n"

    message = _error(text)

    assert "'d1' is used by two definitions" in message


def test_loader_side_without_accounts() -> None:
    text = (
        "id: d1\nname: D\nbank_id: b\n"
        "side_a: {record_kind: statement}\n"
        "side_b: {record_kind: ledger, accounts: [B1]}\n"
        "passes: [{name: e, kind: exact}]"
    )

    message = _error(text)

    assert "side_a: no accounts selected" in message


def test_loader_conflicting_account_pairs() -> None:
    body = (
        "account_pairs: [{side_a: A1, side_b: B1}, {side_a: A2, side_b: B1}]\n"
        "passes: [{name: e, kind: exact}]"
    )

    message = _error(_single(body))

    assert "paired with two keys" in message


def test_loader_shared_key_allows_many_to_one() -> None:
    body = (
        "account_pairs:\n"
        "  - {side_a: A1, side_b: B1, key: pool}\n"
        "  - {side_a: A2, side_b: B1, key: pool}\n"
        "passes: [{name: e, kind: exact}]"
    )

    definitions = parse_definitions(_single(body))

    assert definitions[0].account_keys(Side.B) == {"B1": "pool"}
    assert definitions[0].account_keys(Side.A) == {"A1": "pool", "A2": "pool"}


def test_loader_threshold_order() -> None:
    body = (
        "passes: [{name: t, kind: tolerance, "
        "thresholds: {min_score: 0.8, auto_confirm: 0.5}}]"
    )

    message = _error(_single(body))

    assert "auto_confirm 0.5 is below min_score 0.8" in message


def test_loader_invalid_regex_shows_engine_error() -> None:
    body = "passes: [{name: e, kind: exact, reference: {side_a: {pattern: '(\\d+'}}}]"

    message = _error(_single(body))

    assert "invalid regular expression `(\\d+`" in message
    assert "regex parse error: unclosed group (at `(`, character 1)" in message
