"""The match group page and its forms: unmatch, confirm, reject and comment."""

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from recon_common.errors import NotFound

from recon_reporting.access.sensitive_reads import audit_revealed
from recon_reporting.auth.dependencies import PageMasker
from recon_reporting.breaks import repository as breaks_repository
from recon_reporting.breaks.schemas import CommentOut
from recon_reporting.dependencies import SessionDep
from recon_reporting.matches import repository as matches_repository
from recon_reporting.matches import service as matches_service
from recon_reporting.pages.forms import (
    MAX_TEXT_CHARS,
    READ_MODEL_LAG,
    FormActorDep,
    forward_form,
    reject_form,
    segment,
)
from recon_reporting.pages.rendering import render_page

router = APIRouter(include_in_schema=False)

# The matcher names comments on match groups with this target type.
GROUP_TARGET = "group"


@router.get("/match-groups/{group_id}", response_class=HTMLResponse)
async def match_group(
    group_id: str, request: Request, session: SessionDep, masker: PageMasker
) -> HTMLResponse:
    """Show one match group with its transactions, comments and actions."""
    row = await matches_repository.get_group(session, group_id=group_id)
    if row is None:
        raise NotFound(
            f"match group {group_id!r} not found; it may have been unmatched or "
            "rejected"
        )
    detail = await matches_service.group_detail(session, row=row, masker=masker)
    comments = await breaks_repository.comments_of(
        session, target_type=GROUP_TARGET, target_ids=[group_id]
    )
    audit_revealed(request, session, masker=masker, resource_type="match_group")
    return render_page(
        request,
        "match_group.html",
        {
            "user": masker.user,
            "group": detail,
            "currency": matches_service.single_currency(detail),
            "status": row.status,
            "origin": row.origin,
            # Opened from the review queue: the forms return there afterwards.
            "from_review": request.query_params.get("from") == "review",
            "comments": [
                CommentOut(
                    author=item.author, body=item.body, created_at=item.created_at
                )
                for item in comments.get(group_id, [])
            ],
        },
    )


def _reopened(verb: str) -> Callable[[Any], str]:
    def describe(payload: Any) -> str:
        count = len(payload) if isinstance(payload, list) else 0
        return f"Group {verb}: {count} items are open breaks again. {READ_MODEL_LAG}"

    return describe


@router.post("/match-groups/{group_id}/unmatch")
async def unmatch_group(
    group_id: str,
    request: Request,
    actor: FormActorDep,
    reason: Annotated[str, Form(max_length=MAX_TEXT_CHARS)] = "",
) -> RedirectResponse:
    """Dissolve a match group, with a reason; its items become open breaks."""
    if not reason.strip():
        return reject_form(request, actor, "Unmatch failed: enter a reason.")
    return await forward_form(
        request,
        actor,
        action="Unmatch",
        path=f"/v1/match-groups/{segment(group_id)}/unmatch",
        body={"reason": reason.strip()},
        describe=_reopened("unmatched"),
    )


@router.post("/match-groups/{group_id}/confirm")
async def confirm_group(
    group_id: str,
    request: Request,
    actor: FormActorDep,
    reason: Annotated[str, Form(max_length=MAX_TEXT_CHARS)] = "",
) -> RedirectResponse:
    """Confirm a proposed match group, with an optional note."""
    return await forward_form(
        request,
        actor,
        action="Confirm",
        path=f"/v1/match-groups/{segment(group_id)}/confirm",
        body={"reason": reason.strip() or None},
        describe=lambda _: f"Group {group_id} confirmed. {READ_MODEL_LAG}",
    )


@router.post("/match-groups/{group_id}/reject")
async def reject_group(
    group_id: str,
    request: Request,
    actor: FormActorDep,
    reason: Annotated[str, Form(max_length=MAX_TEXT_CHARS)] = "",
) -> RedirectResponse:
    """Reject a proposed match group, with a reason; its items become open breaks."""
    if not reason.strip():
        return reject_form(request, actor, "Reject failed: enter a reason.")
    return await forward_form(
        request,
        actor,
        action="Reject",
        path=f"/v1/match-groups/{segment(group_id)}/reject",
        body={"reason": reason.strip()},
        describe=_reopened("rejected"),
    )


@router.post("/match-groups/{group_id}/comments")
async def comment_group(
    group_id: str,
    request: Request,
    actor: FormActorDep,
    body: Annotated[str, Form(max_length=MAX_TEXT_CHARS)] = "",
) -> RedirectResponse:
    """Add a comment to a match group."""
    if not body.strip():
        return reject_form(request, actor, "Comment failed: enter a comment.")
    return await forward_form(
        request,
        actor,
        action="Comment",
        path=f"/v1/match-groups/{segment(group_id)}/comments",
        body={"body": body.strip()},
        describe=lambda _: f"Comment added to group {group_id}. {READ_MODEL_LAG}",
    )
