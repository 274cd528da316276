"""Small MT940 statements for the parsing tests."""

from decimal import Decimal

ACCOUNT = "DE89370400440532013000"


def mt940(
    *,
    reference: str = "STMT-0001",
    sequence: str = "00042/001",
    opening: Decimal = Decimal("1000.00"),
    amounts: tuple[Decimal, ...] = (Decimal("250.00"), Decimal("-75.50")),
    account: str = ACCOUNT,
) -> str:
    """Return one MT940 statement whose closing balance fits its entries."""
    lines = [
        f":20:{reference}",
        f":25:{account}",
        f":28C:{sequence}",
        f":60F:{_balance(opening, '261203')}",
    ]
    for number, amount in enumerate(amounts, start=1):
        mark = "C" if amount >= 0 else "D"
        value = _swift_amount(abs(amount))
        lines.append(f":61:2612031203{mark}{value}NTRFREF{number}//BANK{number}")
        lines.append(f":86:Payment {number} of statement {reference}")
    closing = opening + sum(amounts, Decimal(0))
    lines.append(f":62F:{_balance(closing, '261203')}")
    return "\r\n".join(lines) + "\r\n"


def _balance(amount: Decimal, on: str) -> str:
    mark = "C" if amount >= 0 else "D"
    return f"{mark}{on}EUR{_swift_amount(abs(amount))}"


def _swift_amount(amount: Decimal) -> str:
    return f"{amount:.2f}".replace(".", ",")
