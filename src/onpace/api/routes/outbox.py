"""The outbox (admins): messages queued for delivery, their status and tries (never their secrets)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from onpace.api.deps import StoreDep, UserDep, allowed
from onpace.services import delivery
from onpace.services.views.delivery import OutboxMessageView

IdPath = Annotated[int, Path(ge=1, le=2**63 - 1)]
Status = Literal["queued", "sending", "failed", "delivered", "dead"]
router = APIRouter(tags=["outbox"])


@router.get("/outbox", dependencies=[allowed("read_audit")])
def list_outbox(
    store: StoreDep,
    user: UserDep,
    status: Annotated[list[Status] | None, Query(description="only these statuses (repeatable)")] = None,
    channel: Annotated[str | None, Query(max_length=63)] = None,
    origin: Annotated[str | None, Query(max_length=255, description="a prefix, e.g. alert:")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[OutboxMessageView]:
    """Messages, newest first, with their tries (admins only). Bodies are left out; errors are kept."""
    user.require("read_audit")
    return delivery.list_outbox(
        store, status=list(status or []), channel=channel, origin=origin, limit=limit, with_tries=True
    )


@router.get("/outbox/{message_id}", dependencies=[allowed("read_audit")])
def get_message(message_id: IdPath, store: StoreDep, user: UserDep) -> OutboxMessageView:
    user.require("read_audit")
    return delivery.get_message(store, message_id)
