"""Query parameters and result shape shared by the paginated lists."""

from typing import Annotated

from fastapi import Query

MAX_PAGE_SIZE = 500

Limit = Annotated[
    int, Query(ge=1, le=MAX_PAGE_SIZE, description="maximum rows to return")
]
Offset = Annotated[int, Query(ge=0, description="rows to skip before the first one")]
