"""Read the exception that stopped a local service from its log file."""

import json
from pathlib import Path


def last_exception(
    log_path: Path, *, start: int = 0, max_bytes: int = 256 * 1024
) -> str | None:
    """Return the exception that ends the last traceback in a service's log, if any.

    Only the part of the log from byte `start` on is read, and of that the last
    `max_bytes`. The services log one JSON object per line, and an exception that
    stops start-up arrives as one `event` holding the whole traceback. One raised
    before logging is set up is plain text on standard error, which goes to the
    same file. This returns the final exception line and the message lines after
    it, without the stack frames.
    """
    try:
        with log_path.open("rb") as log:
            log.seek(max(start, log_path.stat().st_size - max_bytes))
            text = log.read().decode("utf-8", errors="replace")
    except OSError:
        return None
    for line in reversed(text.splitlines()):
        try:
            record = json.loads(line)
        except ValueError:
            continue
        event = record.get("event") if isinstance(record, dict) else None
        if isinstance(event, str) and event.startswith(_TRACEBACK_START):
            return _exception_part(event)
    found = text.rfind(_TRACEBACK_START)
    return _exception_part(text[found:]) if found >= 0 else None


_TRACEBACK_START = "Traceback (most recent call last):"


def _exception_part(traceback: str) -> str:
    # Frames are a `  File "..."` line and indented source lines after it. The
    # exception starts at the first unindented line after the last frame.
    lines = traceback.splitlines()
    start = 0
    for index, line in enumerate(lines):
        if line.startswith('  File "'):
            start = index + 1
    while start < len(lines) and lines[start].startswith("    "):
        start += 1
    end = start
    # A plain-text traceback may be followed by the JSON lines of later logging.
    while end < len(lines) and not lines[end].startswith("{"):
        end += 1
    return "\n".join(lines[start:end]).strip()
