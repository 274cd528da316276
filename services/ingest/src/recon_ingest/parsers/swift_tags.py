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
from collections.abc import Iterator
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

_ENVELOPE_LINE = re.compile(r"^(?:\{[1-5A-Z]:|ä4:)")
_BLOCK4_START = re.compile(r"(?:\{|ä)4:")
_MESSAGE_TYPE = re.compile(r"\{2:[IO](\d{3})")
_FRAMING = "\x01\x03\x1a"
_MESSAGE_END = re.compile(r"^-(?:\}|å|XXX)?(?=$|\{)")
# First characters of the lines that may end a message or open an envelope block.
_CONTROL_STARTS = frozenset("-{ä")


@dataclass(slots=True)
class Field:
    """One tagged field: its tag, the line it starts on and its text lines."""

    tag: str
    line: int
    lines: list[str]

    @property
    def first(self) -> str:
        """Return the text on the tag's own line."""
        return self.lines[0]


@dataclass(slots=True)
class Message:
    """One MT message (block 4) with the type that its block 2 declares."""

    line: int
    message_type: str | None
    fields: list[Field] = field(default_factory=list)


class _Splitter:
    def __init__(self) -> None:
        self.closed: list[Message] = []
        self.current: Message | None = None
        # Text lines of the current message's last field, which continuation lines
        # extend. None while the current message has no field.
        self.open_lines: list[str] | None = None
        self.pending_type: str | None = None
        self.in_envelope = False

    def finish(self) -> None:
        self._close()

    def control_line(self, number: int, line: str) -> None:
        """Take a line that starts with "-", "{" or "ä"."""
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
        self.body_line(number, line)

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
            self.body_line(number, rest)

    def body_line(self, number: int, line: str) -> None:
        """Take a line that starts a field or continues the open one."""
        # A tag is `:NN:`, `:NNA:` or `:NS:`, so its closing colon is at index 3
        # or 4. Only the tags in KNOWN_TAGS start a field.
        if line[0] == ":":
            tag_end = line.find(":", 1, 5)
            if tag_end > 0 and line[1:tag_end] in KNOWN_TAGS:
                self.start_field(number, line[1:tag_end], line[tag_end + 1 :])
                return
        if self.open_lines is not None:
            self.open_lines.append(line)

    def start_field(self, number: int, tag: str, value: str) -> None:
        """Open a field whose tag line carries `value` after the tag."""
        if self.current is None:
            self.current = Message(line=number, message_type=self.pending_type)
            self.pending_type = None
        self.open_lines = [value]
        self.current.fields.append(Field(tag, number, self.open_lines))

    def _close(self) -> None:
        if self.current is not None and self.current.fields:
            self.closed.append(self.current)
        self.current = None
        self.open_lines = None
        self.in_envelope = False


def split_messages(lines: list[str]) -> Iterator[Message]:
    """Split numbered MT lines into messages of fields, skipping non-SWIFT lines.

    Each message is yielded as soon as its end is read, so only one message's fields
    are held at a time.
    """
    splitter = _Splitter()
    closed = splitter.closed
    for number, line in enumerate(lines, start=1):
        # Transmission framing characters (SOH, ETX, and Ctrl-Z from DOS exports)
        # surround messages in some files and are not part of any field.
        stripped = line.strip(_FRAMING).rstrip()
        if not stripped:
            continue
        first = stripped[0]
        if first == ":":
            # The steps of body_line, repeated here because they run for most
            # lines. Inlining them cut the time of this loop by about a third.
            tag_end = stripped.find(":", 1, 5)
            tag = stripped[1:tag_end]
            if tag_end > 0 and tag in KNOWN_TAGS:
                current = splitter.current
                if current is None:
                    splitter.start_field(number, tag, stripped[tag_end + 1 :])
                else:
                    # The steps of start_field for a message that is already open.
                    open_lines = [stripped[tag_end + 1 :]]
                    splitter.open_lines = open_lines
                    current.fields.append(Field(tag, number, open_lines))
                continue
        elif first in _CONTROL_STARTS:
            # Only these lines end a message, so only they can close one.
            splitter.control_line(number, stripped)
            if closed:
                yield from closed
                closed.clear()
            continue
        if splitter.open_lines is not None:
            splitter.open_lines.append(stripped)
    splitter.finish()
    yield from closed


def declared_message_type(lines: list[str]) -> str | None:
    """Return the message type in the first FIN block 2, if there is one."""
    for line in lines:
        found = _MESSAGE_TYPE.search(line)
        if found is not None:
            return found.group(1)
    return None
