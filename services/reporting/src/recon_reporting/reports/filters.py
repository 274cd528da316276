"""Query parameters of the report routes and pages.

HTML forms submit an empty field as an empty string, which these parameters read
as no filter, so a report page's form can submit to the API directly.
"""

from datetime import date
from typing import Annotated, Any

from fastapi import Query
from pydantic import BeforeValidator

from recon_reporting.breaks import service as breaks_service
from recon_reporting.breaks.schemas import AgeBand


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value


ReconciliationFilter = Annotated[
    str | None,
    BeforeValidator(_blank_to_none),
    Query(description="only this reconciliation, or all when empty"),
]
AgeBandFilter = Annotated[
    AgeBand | None,
    BeforeValidator(_blank_to_none),
    Query(description="only breaks of this age band, or all when empty"),
]
AccountFilterText = Annotated[
    str | None,
    BeforeValidator(_blank_to_none),
    Query(description=breaks_service.ACCOUNT_FILTER_HELP),
]
ValueDateFrom = Annotated[
    date | None,
    BeforeValidator(_blank_to_none),
    Query(description="first value date counted, YYYY-MM-DD, or none when empty"),
]
ValueDateTo = Annotated[
    date | None,
    BeforeValidator(_blank_to_none),
    Query(description="last value date counted, YYYY-MM-DD, or none when empty"),
]
