"""The demo's reconciliation definitions, as the matcher and the pages read them."""

from pathlib import Path

from recon_matcher.definitions import load_definitions
from recon_reporting.access.redaction import MASK

from recon_platform import demo
from recon_platform.stack import LocalStack, Ports, Progress


def demo_definitions_file(tmp_path: Path) -> Path:
    stack = LocalStack(tmp_path, ports=Ports(100))
    demo.prepare(stack, progress=Progress())
    return stack.service_dir("matcher") / "reconciliations.yaml"


def test_demo_definitions_load(tmp_path: Path) -> None:
    path = demo_definitions_file(tmp_path)

    definitions = load_definitions(path)

    assert len(definitions) >= 3


def test_demo_definitions_without_mask(tmp_path: Path) -> None:
    # The definition edit page refuses a text that contains the redaction mask.
    path = demo_definitions_file(tmp_path)

    text = path.read_text(encoding="utf-8")

    assert MASK not in text


def test_demo_definition_names_end_of_account(tmp_path: Path) -> None:
    path = demo_definitions_file(tmp_path)

    names = [item.name for item in load_definitions(path)]

    assert all(" ending " in name for name in names)
