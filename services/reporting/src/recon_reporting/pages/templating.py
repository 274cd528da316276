"""Jinja2 environment of the web pages and the filters that format numbers."""

from datetime import datetime
from decimal import Decimal
from pathlib import Path

from fastapi.templating import Jinja2Templates
from recon_common.money import AmountError, minor_units

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"


def format_money(amount: Decimal | None, currency: str | None) -> str:
    """Format `amount` with the currency's minor units and thousands separators.

    An amount with more decimals than its currency allows is shown in full rather
    than rounded, because a rounded figure would hide the difference.
    """
    if amount is None:
        return ""
    try:
        places = minor_units(currency or "")
    except AmountError:
        return f"{amount:,f}"
    exponent = amount.normalize().as_tuple().exponent
    decimals = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    if decimals > places:
        return f"{amount:,f}"
    return f"{amount:,.{places}f}"


def format_rate(rate: Decimal) -> str:
    """Format a 0 to 1 ratio as a percentage with one decimal."""
    return f"{(rate * 100).quantize(Decimal('0.1'))} %"


def format_time(value: datetime | None) -> str:
    """Format an aware timestamp in UTC to the minute."""
    if value is None:
        return ""
    return value.strftime("%Y-%m-%d %H:%M UTC")


def create_templates() -> Jinja2Templates:
    """Return the page templates with the number and time filters installed."""
    templates = Jinja2Templates(directory=TEMPLATES_DIR)
    templates.env.filters["money"] = format_money
    templates.env.filters["rate"] = format_rate
    templates.env.filters["utc"] = format_time
    return templates
