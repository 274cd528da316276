"""Decoding of text files and splitting into numbered lines.

8-bit files carry no encoding label, and Windows-1252, ISO-8859-1 and code page 852
decode every byte sequence into some characters. A candidate encoding is accepted only
when the text it produces looks like words: no control or box-drawing characters, and
non-ASCII letters whose case fits the letters around them. When the candidates tie or
none fits, the file is rejected and the operator sets the encoding explicitly, because
silently decoding into wrong characters would corrupt names and references.
"""

import codecs
import re
import unicodedata
from dataclasses import dataclass

from recon_ingest.parsers.model import ParseRejected, ParseSettings

EIGHT_BIT_CANDIDATES = ("windows-1252", "iso-8859-1", "cp852")

# Non-letter characters that ordinary bank text contains in these code pages.
_TEXT_SYMBOLS = frozenset("€£¥§°«»‘’‚“”„–—…•·´¨¤×÷µ¡¿ªº±²³¹½¼¾©®™¦¶¸˝˛ˇ˘˙")
_APOSTROPHES = frozenset("’")
# Letters that are frequent in the languages each code page serves. Other letters
# still decode but add no evidence, because a wrong code page usually maps a byte to
# a rare letter (Windows-1252 "That’s" read as code page 852 is "Thatĺs").
_WESTERN_LETTERS = frozenset(
    "àáâãäåæçèéêëìíîïñòóôõöøùúûüýÿßœšžÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÑÒÓÔÕÖØÙÚÛÜÝŒŠŽ"
)
_CENTRAL_LETTERS = frozenset(
    "áéíóöőúüűčřšžěůýąęłńśźżćäôľďťňăşţđÁÉÍÓÖŐÚÜŰČŘŠŽĚŮÝĄĘŁŃŚŹŻĆÄÔĽĎŤŇĂŞŢĐ"
)
_COMMON_LETTERS = {
    "windows-1252": _WESTERN_LETTERS,
    "iso-8859-1": _WESTERN_LETTERS,
    "cp852": _CENTRAL_LETTERS,
}
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# Characters other than CR and LF at which str.splitlines() also splits.
_OTHER_LINE_BOUNDARIES = re.compile("[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


@dataclass(frozen=True)
class DecodedText:
    """File text and the encoding that produced it."""

    text: str
    encoding: str
    warnings: tuple[str, ...] = ()


def decode_text(
    data: bytes, *, settings: ParseSettings, preferred: str | None = None
) -> DecodedText:
    """Decode `data` with the configured encoding, or detect it."""
    encoding = settings.encoding or preferred
    if encoding is not None:
        return _decode_configured(data, encoding)
    if data.startswith(codecs.BOM_UTF8):
        return _with_replacement_warning(_decode_utf8(data[3:], "utf-8-sig"))
    if data.isascii():
        return DecodedText(data.decode("ascii"), "ascii")
    try:
        return _with_replacement_warning(_decode_utf8(data, "utf-8"))
    except ParseRejected:
        pass
    return _detect_eight_bit(data)


def split_lines(text: str, *, settings: ParseSettings) -> list[str]:
    """Split `text` at CRLF, CR or LF and enforce the line length limit."""
    if _OTHER_LINE_BOUNDARIES.search(text) is None:
        # Without those characters splitlines() splits exactly like the pattern and
        # takes about a third of the time.
        lines = text.splitlines()
    else:
        lines = _LINE_BREAK.split(text)
        if lines and lines[-1] == "":
            lines.pop()
    if max(map(len, lines), default=0) > settings.max_line_chars:
        _reject_long_line(lines, settings.max_line_chars)
    return lines


def _reject_long_line(lines: list[str], max_line_chars: int) -> None:
    for number, line in enumerate(lines, start=1):
        if len(line) > max_line_chars:
            raise ParseRejected(
                f"line {number}: {len(line)} characters exceeds the limit of "
                f"{max_line_chars} (max_line_chars)"
            )


def _decode_configured(data: bytes, encoding: str) -> DecodedText:
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ParseRejected(f"unknown encoding {encoding!r} configured") from None
    if encoding.lower().replace("_", "-") in {"utf-8", "utf8"} and data.startswith(
        codecs.BOM_UTF8
    ):
        data = data[3:]
    try:
        return _with_replacement_warning(DecodedText(data.decode(encoding), encoding))
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ParseRejected(
            f"line {line}: byte 0x{data[error.start]:02x} is not valid {encoding}; "
            "check the configured encoding"
        ) from None


def _decode_utf8(data: bytes, name: str) -> DecodedText:
    try:
        return DecodedText(data.decode("utf-8"), name)
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ParseRejected(f"line {line}: invalid UTF-8 byte sequence") from None


def _with_replacement_warning(decoded: DecodedText) -> DecodedText:
    count = decoded.text.count("\ufffd")
    if count == 0:
        return decoded
    warning = (
        f"the file already contains {count} U+FFFD replacement characters, so some "
        "text was corrupted before it reached the platform"
    )
    return DecodedText(decoded.text, decoded.encoding, (*decoded.warnings, warning))


def _detect_eight_bit(data: bytes) -> DecodedText:
    scores: dict[str, int] = {}
    texts: dict[str, str] = {}
    for candidate in EIGHT_BIT_CANDIDATES:
        try:
            text = data.decode(candidate)
        except UnicodeDecodeError:
            continue
        score = _score_text(text, _COMMON_LETTERS[candidate])
        if score is not None:
            scores[candidate] = score
            texts[candidate] = text
    # ISO-8859-1 and Windows-1252 agree on every printable character they share, so
    # when both produce the same text they are one result, reported as ISO-8859-1.
    if "windows-1252" in texts and texts.get("iso-8859-1") == texts["windows-1252"]:
        del scores["windows-1252"]
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    if not ranked or ranked[0][1] <= 0:
        raise ParseRejected(
            "the file is not UTF-8 and its 8-bit encoding cannot be determined; "
            "configure the encoding (for example windows-1252, iso-8859-1 or cp852)"
        )
    if len(ranked) > 1 and ranked[1][1] == ranked[0][1]:
        names = " and ".join(name for name, _ in ranked[:2])
        raise ParseRejected(
            f"the file is not UTF-8 and fits both {names} equally well; "
            "configure the encoding"
        )
    best = ranked[0][0]
    return DecodedText(texts[best], best)


def _score_text(text: str, common_letters: frozenset[str]) -> int | None:
    """Score how word-like the non-ASCII characters are, or None if implausible."""
    score = 0
    for index, char in enumerate(text):
        if char.isascii():
            continue
        before = text[index - 1] if index > 0 else " "
        after = text[index + 1] if index + 1 < len(text) else " "
        inside_word = before.isalpha() and after.isalpha()
        if char.isalpha():
            score += _score_letter(char, before, after, common_letters)
        elif char in _APOSTROPHES:
            # A typographic apostrophe inside a word ("That’s") is strong evidence.
            score += 3 if inside_word else 0
        elif char == "\u00a0" or char in _TEXT_SYMBOLS:
            score -= 1 if inside_word else 0
        elif unicodedata.category(char)[0] in {"C", "S"}:
            return None
    return score


def _score_letter(
    char: str, before: str, after: str, common_letters: frozenset[str]
) -> int:
    # An upper-case letter right after a lower-case one ("ThatĆs") is how a wrong
    # code page shows itself, while "MÜLLER" or "Empfänger" keep the case of their word.
    if char.isupper() and before.isalpha() and before.islower():
        return -2
    if char.islower() and before.isalpha() and before.isupper() and after.isupper():
        return -2
    if char in common_letters and (before.isalpha() or after.isalpha()):
        return 2
    return 0
