"""Read counterparty and reference details out of `:86:` information text.

Two layouts are common. German banks write a three-digit business code followed by
`?NN` subfields (`?20`-`?29` remittance, `?31` account, `?32`-`?33` name), and Dutch
and SWIFT-structured exports write `/KEYWORD/value` pairs (`/EREF/`, `/NAME/`,
`/IBAN/`, `/REMI/`). Both wrap at 27 or 65 characters in the middle of a word, so the
lines are joined without a separator before the subfields are read. Any other text is
kept as it is in the remittance information.
"""

import re
from dataclasses import dataclass

_GERMAN = re.compile(r"^\d{3}\?")
# A `?NN` code and its value, which runs to the next `?NN` or the end. A `?` that no
# two digits follow is part of the value.
_GERMAN_SUBFIELD = re.compile(r"\?(\d{2})([^?]*(?:\?(?!\d{2})[^?]*)*)")
_SEPA_KEYWORD = re.compile(r"(EREF|KREF|MREF|CRED|DEBT|SVWZ|ABWA|ABWE|COAM|OAMT)\+")
_SLASH_KEYS = (
    "EREF",
    "NAME",
    "IBAN",
    "BIC",
    "REMI",
    "TRTP",
    "CNTP",
    "CSID",
    "MARF",
    "ORDP",
    "BENM",
    "RTRN",
    "PREF",
    "ID",
    "ADDR",
    "ISDT",
    "SUM",
    "OCMT",
)
_SLASH_FIELD = re.compile(r"/(" + "|".join(_SLASH_KEYS) + r")/")
# Subfields ?20-?29 and ?60-?63 carry the purpose text, in this order.
_PURPOSE_CODES = (*range(20, 30), *range(60, 64))
_NO_PURPOSE = ("",) * len(_PURPOSE_CODES)


@dataclass(frozen=True, slots=True)
class InformationDetails:
    """References and parties found in one `:86:` text."""

    remittance_info: str | None = None
    counterparty_name: str | None = None
    counterparty_account: str | None = None
    end_to_end_id: str | None = None


def read_details(lines: list[str]) -> InformationDetails:
    """Read references and parties from the lines of a `:86:` field."""
    stripped = [line.rstrip() for line in lines]
    raw = "\n".join(stripped).strip()
    if not raw:
        return InformationDetails()
    joined = "".join(stripped)
    if _GERMAN.match(joined):
        return _read_german(joined, raw)
    if _SLASH_FIELD.match(joined):
        return _read_slash(joined, raw)
    return InformationDetails(remittance_info=raw)


def _read_german(joined: str, raw: str) -> InformationDetails:
    pairs = _GERMAN_SUBFIELD.findall(joined, 3)
    subfields = {int(code): value for code, value in pairs}
    if len(subfields) < len(pairs):
        # A code that occurs more than once gets all its values, joined in order.
        subfields = {}
        for code_text, value in pairs:
            code = int(code_text)
            subfields[code] = subfields.get(code, "") + value
    purpose = "".join(map(subfields.get, _PURPOSE_CODES, _NO_PURPOSE))
    name = (subfields.get(32, "") + subfields.get(33, "")).strip()
    account = subfields.get(31, "").strip()
    return InformationDetails(
        remittance_info=raw,
        counterparty_name=name or None,
        counterparty_account=account or None,
        end_to_end_id=_sepa_value(purpose, "EREF"),
    )


def _sepa_value(purpose: str, keyword: str) -> str | None:
    if keyword + "+" not in purpose:
        return None
    pieces = _SEPA_KEYWORD.split(purpose)
    for index in range(1, len(pieces) - 1, 2):
        if pieces[index] == keyword:
            value = pieces[index + 1].strip()
            return value if value and value != "NOTPROVIDED" else None
    return None


def _read_slash(joined: str, raw: str) -> InformationDetails:
    pieces = _SLASH_FIELD.split(joined)
    values: dict[str, str] = {}
    for key, value in zip(pieces[1::2], pieces[2::2], strict=True):
        values.setdefault(key, value.strip("/ ").strip())
    name = values.get("NAME")
    account = values.get("IBAN")
    if "CNTP" in values:
        # /CNTP/account/BIC/name/city/ in the ING layout.
        parts = values["CNTP"].split("/")
        account = account or (parts[0] if parts and parts[0] else None)
        name = name or (parts[2] if len(parts) > 2 and parts[2] else None)
    end_to_end = values.get("EREF")
    return InformationDetails(
        remittance_info=raw,
        counterparty_name=name or None,
        counterparty_account=account or None,
        end_to_end_id=end_to_end
        if end_to_end and end_to_end != "NOTPROVIDED"
        else None,
    )
