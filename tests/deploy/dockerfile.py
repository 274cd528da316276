"""Dockerfile reading shared by the image tests."""

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Instruction:
    """One Dockerfile instruction: its upper-case keyword and the rest of the line."""

    keyword: str
    arguments: str


def parse_dockerfile(path: Path) -> list[Instruction]:
    """Return the instructions of a Dockerfile, with continuation lines joined."""
    instructions: list[Instruction] = []
    pending = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, arguments = (pending + line).partition(" ")
        instructions.append(Instruction(keyword.upper(), arguments.strip()))
        pending = ""
    return instructions
