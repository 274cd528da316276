"""Hunk labels of the definition diff, on diffs written the way the matcher writes them.

The matcher diffs YAML in its model's key order, settings first and passes last,
while the version API returns the stored body with sorted keys. The tests build
both from one document, so the labels must not depend on the key order.
"""

import copy
import difflib
import json
from typing import Any

import yaml
from recon_reporting.definitions.diffs import DiffLine, diff_lines, label_hunks


def document() -> dict[str, Any]:
    """Return a definition document in the matcher's key order, three passes."""
    passes = [
        {
            "name": name,
            "grouping": "one_to_one",
            "max_group_size": 3,
            "thresholds": {"min_score": "0", "auto_confirm": None},
            "amount_tolerance": "1.00",
            "currency_tolerances": {},
            "date_window_days": 3,
            "date_a": "value_date",
            "date_b": "value_date",
            "kind": "tolerance",
        }
        for name in ("first", "second", "third")
    ]
    return {
        "id": "nostro-eur",
        "name": "Nostro EUR",
        "bank_id": "bank-1",
        "side_a": {"record_kind": "statement", "accounts": ["NL91ABNA0417164300"]},
        "side_b": {"record_kind": "ledger", "accounts": ["100200"]},
        "side_b_sign": "same",
        "passes": passes,
    }


def stored(doc: dict[str, Any]) -> dict[str, Any]:
    """Return `doc` as the matcher stores it: JSON with sorted keys."""
    body: dict[str, Any] = json.loads(json.dumps(doc, sort_keys=True))
    return body


def labelled(old: dict[str, Any], new: dict[str, Any]) -> list[DiffLine]:
    """Diff `old` and `new` as the matcher does, then label the hunks."""

    def text(doc: dict[str, Any]) -> list[str]:
        dumped = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
        return dumped.splitlines(keepends=True)

    diff = "".join(difflib.unified_diff(text(old), text(new), "version 1", "version 2"))
    return label_hunks(diff_lines(diff), old=stored(old), new=stored(new))


def hunk_sections(lines: list[DiffLine]) -> list[str]:
    """Return the label of each hunk, in order."""
    return [line.section for line in lines if line.kind == "hunk"]


def test_label_hunks_change_in_pass() -> None:
    old = document()
    new = copy.deepcopy(old)
    new["passes"][1]["date_window_days"] = 5

    lines = labelled(old, new)

    assert hunk_sections(lines) == ["pass second"]


def test_label_hunks_change_in_first_pass() -> None:
    old = document()
    new = copy.deepcopy(old)
    new["passes"][0]["kind"] = "fuzzy"

    lines = labelled(old, new)

    assert hunk_sections(lines) == ["pass first"]


def test_label_hunks_change_in_settings() -> None:
    old = document()
    new = copy.deepcopy(old)
    new["name"] = "Nostro EUR main"
    new["side_b_sign"] = "opposite"

    lines = labelled(old, new)

    assert hunk_sections(lines) == ["settings", "settings"]


def test_label_hunks_one_hunk_spans_passes() -> None:
    old = document()
    new = copy.deepcopy(old)
    new["passes"][0]["kind"] = "exact"
    new["passes"][1]["grouping"] = "one_to_many"

    lines = labelled(old, new)

    assert hunk_sections(lines) == ["pass first, pass second"]


def test_label_hunks_renamed_pass() -> None:
    old = document()
    new = copy.deepcopy(old)
    new["passes"][2]["name"] = "last"

    lines = labelled(old, new)

    assert hunk_sections(lines) == ["pass third, pass last"]


def test_label_hunks_added_pass() -> None:
    old = document()
    new = copy.deepcopy(old)
    extra = copy.deepcopy(new["passes"][0])
    extra["name"] = "fourth"
    new["passes"].append(extra)

    lines = labelled(old, new)

    assert hunk_sections(lines) == ["pass fourth"]


def test_label_hunks_removed_first_pass() -> None:
    old = document()
    new = copy.deepcopy(old)
    del new["passes"][0]

    lines = labelled(old, new)

    assert hunk_sections(lines) == ["pass first"]


def test_label_hunks_keeps_other_lines() -> None:
    old = document()
    new = copy.deepcopy(old)
    new["passes"][1]["date_window_days"] = 5

    lines = labelled(old, new)

    unlabelled = [line for line in lines if line.kind != "hunk"]
    assert [line.section for line in unlabelled] == [""] * len(unlabelled)
    assert [line.kind for line in unlabelled].count("added") == 1


def test_label_hunks_layout_mismatch_unlabelled() -> None:
    old = document()
    new = copy.deepcopy(old)
    new["passes"][1]["date_window_days"] = 5
    diff = "".join(
        difflib.unified_diff(
            ["passes:\n", "- name: second\n", "  date_window_days: 3\n"],
            ["passes:\n", "- name: second\n", "  date_window_days: 5\n"],
        )
    )

    lines = label_hunks(diff_lines(diff), old=stored(old), new=stored(new))

    assert hunk_sections(lines) == [""]


def test_label_hunks_without_passes_unlabelled() -> None:
    diff = "@@ -1 +1 @@\n-name: a\n+name: b\n"

    lines = label_hunks(diff_lines(diff), old={"name": "a"}, new={"name": "b"})

    assert hunk_sections(lines) == [""]


def test_label_hunks_empty_diff() -> None:
    lines = label_hunks([], old=stored(document()), new=stored(document()))

    assert lines == []
