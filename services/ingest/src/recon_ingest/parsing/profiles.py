"""Named CSV column mappings, from a YAML file or the built-in ledger layout."""

import dataclasses
from pathlib import Path
from typing import Any

import yaml
from recon_common.errors import InvalidRequest
from recon_common.events import RecordKind

from recon_ingest.parsers import LEDGER_PROFILE, CsvProfile


class InvalidProfilesFile(InvalidRequest):
    """The CSV profiles file cannot be used."""


def load_csv_profiles(path: Path | None) -> dict[str, CsvProfile]:
    """Return the profiles by name; `ledger` is always present."""
    profiles: dict[str, CsvProfile] = {"ledger": LEDGER_PROFILE}
    if path is None:
        return profiles
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidProfilesFile(f"{path}: cannot read CSV profiles: {exc}") from exc
    if not isinstance(raw, dict):
        raise InvalidProfilesFile(f"{path}: expected a mapping of profile names")
    known = {field.name for field in dataclasses.fields(CsvProfile)}
    for name, options in raw.items():
        if not isinstance(options, dict):
            raise InvalidProfilesFile(f"{path}: profile {name!r} must be a mapping")
        unknown = set(options) - known
        if unknown:
            raise InvalidProfilesFile(
                f"{path}: profile {name!r} has unknown keys {sorted(unknown)}; "
                f"valid keys are {sorted(known)}"
            )
        values: dict[str, Any] = dict(options)
        values["record_kind"] = RecordKind(values.get("record_kind", "ledger"))
        for key in ("credit_marks", "debit_marks"):
            if key in values:
                values[key] = tuple(values[key])
        try:
            profiles[str(name)] = CsvProfile(**values)
        except TypeError as exc:
            raise InvalidProfilesFile(f"{path}: profile {name!r}: {exc}") from exc
    return profiles
