"""Lines of the matcher's diff between two definition versions, with hunk labels.

The matcher diffs the two versions as YAML that it writes from the stored body: the
top-level settings first, then `passes:` with one `- name: …` item per pass. The
reporting service receives the diff and the two bodies, but not the full YAML text.
Each hunk header gets a label that names where its changed lines are: "settings"
above the passes, or "pass <name>".

A hunk's line numbers locate it in that YAML, and the passes' positions come from
the bodies. `yaml.safe_dump` writes each value in the same number of lines whatever
the key order. So the stored body, whose keys are sorted, gives the matcher's line
count of the whole definition and of each pass. Because the passes come last, the
lines of the passes from k to the last are the final lines of the text, and pass k
starts at the first of them. Every `passes:` and `- name:` line that the diff shows
is checked against those positions. If one does not match, the matcher wrote a
layout that this module does not expect, and the hunks stay unlabelled.
"""

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Final

import structlog
import yaml

log = structlog.get_logger(__name__)

SETTINGS_SECTION: Final = "settings"
_HUNK_HEADER: Final = re.compile(r"^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@")
_NAMED_ITEM: Final = "- name:"
_PASSES_KEY: Final = "passes:"


@dataclass(frozen=True, slots=True)
class DiffLine:
    """One line of a unified diff and its role: file, hunk, added, removed, context."""

    kind: str
    text: str
    # On a hunk line only: where the hunk's changed lines are, such as
    # "settings" or "pass amount", comma-separated. Empty when unknown.
    section: str = ""


def diff_lines(diff: str) -> list[DiffLine]:
    """Split a unified diff into lines tagged by their role."""
    lines = []
    for line in diff.splitlines():
        if line.startswith(("---", "+++")):
            kind = "file"
        elif line.startswith("@@"):
            kind = "hunk"
        elif line.startswith("+"):
            kind = "added"
        elif line.startswith("-"):
            kind = "removed"
        else:
            kind = "context"
        lines.append(DiffLine(kind=kind, text=line))
    return lines


@dataclass(frozen=True, slots=True)
class _Layout:
    """Line positions of the settings and passes in the matcher's YAML of a version."""

    line_count: int
    # 1-based number of the `passes:` line. The settings are the lines above it.
    passes_line: int
    # 1-based number of each pass's `- name:` line, in order, and the pass names.
    pass_starts: list[int]
    pass_names: list[str]

    def section_at(self, number: int) -> str:
        """Return the section that contains line `number`."""
        if number <= self.passes_line:
            return SETTINGS_SECTION
        index = bisect_right(self.pass_starts, number) - 1
        return f"pass {self.pass_names[index]}"

    def fits(self, number: int, text: str) -> bool:
        """Return whether line `number` with `text` agrees with this layout."""
        if not 1 <= number <= self.line_count:
            return False
        if text.startswith(_NAMED_ITEM):
            return number in self.pass_starts
        if text == _PASSES_KEY:
            return number == self.passes_line
        return True


def _dumped_line_count(value: Any) -> int:
    return len(yaml.safe_dump(value, sort_keys=False, allow_unicode=True).splitlines())


def _layout(body: dict[str, Any]) -> _Layout | None:
    passes = body.get("passes")
    if not isinstance(passes, list) or not passes:
        return None
    if not all(isinstance(item, dict) for item in passes):
        return None
    line_count = _dumped_line_count(body)
    # A one-item list at the top level has the indentation of an item under
    # `passes:`, because PyYAML does not indent a list inside a mapping.
    sizes = [_dumped_line_count([item]) for item in passes]
    # NOTE: a hunk that shows no `passes:` or `- name:` line is not checked. If the
    # matcher wrote a top-level key after the passes, such a hunk would get the
    # label of a neighbouring pass.
    start = line_count - sum(sizes) + 1
    pass_starts = []
    for size in sizes:
        pass_starts.append(start)
        start += size
    return _Layout(
        line_count=line_count,
        passes_line=pass_starts[0] - 1,
        pass_starts=pass_starts,
        pass_names=[str(item.get("name", "")) for item in passes],
    )


def _hunk_sections(
    lines: Sequence[DiffLine], *, old: _Layout, new: _Layout
) -> dict[int, list[str]] | None:
    """Map the index of each hunk line to its sections, or None on a mismatch."""
    sections: dict[int, list[str]] = {}
    hunk_index = -1
    old_number = new_number = 0
    for index, line in enumerate(lines):
        if line.kind == "hunk":
            found = _HUNK_HEADER.match(line.text)
            if found is None:
                return None
            hunk_index = index
            old_number, new_number = int(found[1]), int(found[2])
            sections[hunk_index] = []
            continue
        if line.kind == "file" or hunk_index < 0 or line.text.startswith("\\"):
            # File headers, and "\ No newline at end of file", have no number.
            continue
        text = line.text[1:]
        changed: str | None = None
        if line.kind in ("context", "removed"):
            if not old.fits(old_number, text):
                return None
            if line.kind == "removed":
                changed = old.section_at(old_number)
            old_number += 1
        if line.kind in ("context", "added"):
            if not new.fits(new_number, text):
                return None
            if line.kind == "added":
                changed = new.section_at(new_number)
            new_number += 1
        if changed is not None and changed not in sections[hunk_index]:
            sections[hunk_index].append(changed)
    return sections


def label_hunks(
    lines: Sequence[DiffLine], *, old: dict[str, Any], new: dict[str, Any]
) -> list[DiffLine]:
    """Return `lines` with each hunk line labelled by the sections it changes.

    `old` and `new` are the stored bodies of the diff's two versions. When their
    layout does not agree with the diff, the lines come back without labels.
    """
    old_layout, new_layout = _layout(old), _layout(new)
    sections = None
    if old_layout is not None and new_layout is not None:
        sections = _hunk_sections(lines, old=old_layout, new=new_layout)
    if sections is None:
        log.info("reporting.definition_diff.unlabelled", lines=len(lines))
        return list(lines)
    return [
        replace(line, section=", ".join(sections[index])) if index in sections else line
        for index, line in enumerate(lines)
    ]
