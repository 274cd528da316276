"""Split SWIFT MT940, MT942 and MT950 text into messages and fields.

A field starts only where a known tag such as `:61:` opens a line. Any other line
continues the open field, so a `:86:` text containing a time (`10:33:22`) or a
wrapped line that starts with a colon (`:08 Karten`, `:KO:NR:`) stays text. Fields
that allow only one line reject continuation lines when they are read. Lines before
the first tag of a message (free-text preambles, non-SWIFT header lines such as
`940 00`) are skipped, and the FIN envelope `{1:}{2:}{3:}{4:` ... `-}{5:}` is
optional. Some Swedish exports replace the braces with national characters (`ä4:`
and `-å`), which are accepted as well.
"""

import re
from dataclasses import dataclass, field

KNOWN_TAGS = frozenset(
    {
        "13",
        "13D",
        "20",
        "21",
        "25",
        "25P",
        "28",
        "28C",
        "34F",
        "60F",
        "60M",
        "61",
        "62F",
        "62M",
        "64",
        "65",
        "86",
        "90C",
        "90D",
        "NS",
    }
)

_TAG_LINE = re.compile(r"^:(\d{2}[A-Z]?|NS):")
_ENVELOPE_LINE = re.compile(r"^(?:\{[1-5A-Z]:|ä4:)")
_BLOCK4_START = re.compile(r"(?:\{|ä)4:")
_MESSAGE_TYPE = re.compile(r"\{2:[IO](\d{3})")
_FRAMING = "\x01\x03\x1a"
_MESSAGE_END = re.compile(r"^-(?:\}|å|XXX)?(?=$|\{)")


@dataclass
class Field:
    """One tagged field: its tag, the line it starts on and its text lines."""

    tag: str
    line: int
    lines: list[str]

    @property
    def first(self) -> str:
        """Return the text on the tag's own line."""
        return self.lines[0]


@dataclass
class Message:
    """One MT message (block 4) with the type that its block 2 declares."""

    line: int
    message_type: str | None
    fields: list[Field] = field(default_factory=list)


class _Splitter:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.current: Message | None = None
        self.pending_type: str | None = None
        self.in_envelope = False

    def feed(self, number: int, line: str) -> None:
        if not line.strip():
            return
        end = _MESSAGE_END.match(line)
        if end is not None and (self.current is not None or self.in_envelope):
            self._close()
            rest = line[end.end() :]
            if rest:
                self._envelope(number, rest)
            return
        if _ENVELOPE_LINE.match(line):
            self._envelope(number, line)
            return
        self._body_line(number, line)

    def finish(self) -> list[Message]:
        self._close()
        return self.messages

    def _envelope(self, number: int, line: str) -> None:
        found_type = _MESSAGE_TYPE.search(line)
        if found_type is not None:
            self.pending_type = found_type.group(1)
        start = _BLOCK4_START.search(line)
        if start is None:
            return
        self._close()
        self.in_envelope = True
        self.current = Message(line=number, message_type=self.pending_type)
        self.pending_type = None
        rest = line[start.end() :].strip()
        if rest:
            self._body_line(number, rest)

    def _body_line(self, number: int, line: str) -> None:
        tag_match = _TAG_LINE.match(line)
        open_field = self._open_field()
        if tag_match is not None and tag_match.group(1) in KNOWN_TAGS:
            self._start_field(number, tag_match.group(1), line[tag_match.end() :])
        elif open_field is not None:
            open_field.lines.append(line)

    def _start_field(self, number: int, tag: str, value: str) -> None:
        if self.current is None:
            self.current = Message(line=number, message_type=self.pending_type)
            self.pending_type = None
        self.current.fields.append(Field(tag=tag, line=number, lines=[value]))

    def _open_field(self) -> Field | None:
        if self.current is None or not self.current.fields:
            return None
        return self.current.fields[-1]

    def _close(self) -> None:
        if self.current is not None and self.current.fields:
            self.messages.append(self.current)
        self.current = None
        self.in_envelope = False


def split_messages(lines: list[str]) -> list[Message]:
    """Split numbered MT lines into messages of fields, skipping non-SWIFT lines."""
    splitter = _Splitter()
    for number, line in enumerate(lines, start=1):
        # Transmission framing characters (SOH, ETX, and Ctrl-Z from DOS exports)
        # surround messages in some files and are not part of any field.
        splitter.feed(number, line.strip(_FRAMING).rstrip())
    return splitter.finish()


def declared_message_type(lines: list[str]) -> str | None:
    """Return the message type in the first FIN block 2, if there is one."""
    for line in lines:
        found = _MESSAGE_TYPE.search(line)
        if found is not None:
            return found.group(1)
    return None
