"""Namespace-blind element lookup, so one parser reads every camt version."""

from collections.abc import Iterator

from lxml import etree


def local_name(element: etree._Element) -> str:
    """Return the tag of `element` without its namespace."""
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2]


def children(element: etree._Element, name: str) -> Iterator[etree._Element]:
    """Yield the child elements of `element` whose local name is `name`."""
    for child in element:
        if local_name(child) == name:
            yield child


def find(element: etree._Element | None, path: str) -> etree._Element | None:
    """Return the first element at the slash-separated local-name `path`."""
    current = element
    for name in path.split("/"):
        if current is None:
            return None
        current = next(children(current, name), None)
    return current


def find_all(element: etree._Element, path: str) -> list[etree._Element]:
    """Return every element at the slash-separated local-name `path`."""
    level = [element]
    for name in path.split("/"):
        level = [child for parent in level for child in children(parent, name)]
    return level


def text(element: etree._Element | None, path: str) -> str | None:
    """Return the stripped text at `path`, or None when it is missing or empty."""
    found = find(element, path)
    if found is None or found.text is None:
        return None
    value = found.text.strip()
    return value or None
