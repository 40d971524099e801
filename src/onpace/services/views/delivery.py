"""The outbox as views: its messages and their tries, a delivery run, and the delivery's health."""

from __future__ import annotations

from pydantic import Field

from onpace.services.views.base import IsoDateTime, View


class OutboxAttemptView(View):
    """One try at delivering a message."""

    number: int
    worker: str = Field(description="who tried: host, process and a random part")
    started_at: IsoDateTime
    finished_at: IsoDateTime | None
    outcome: str = Field(description="sending, delivered, failed or interrupted (the deliverer stopped)")
    error: str | None


class OutboxMessageView(View):
    """A message of the outbox: where it goes and how its delivery went (its body is not shown)."""

    id: int
    key: str = Field(description="the idempotency key, sent with every try")
    channel: str
    to: str | None = Field(description="the address, for email; none: the channel's own recipients")
    subject: str
    origin: str = Field(description="what queued it, e.g. alert:<rule>")
    status: str = Field(description="queued, sending, failed (tried again later), delivered or dead")
    attempts: int
    created_at: IsoDateTime
    next_attempt_at: IsoDateTime
    delivered_at: IsoDateTime | None
    last_error: str | None
    tries: list[OutboxAttemptView] = Field(default_factory=list)


class DeliveryRun(View):
    """What one call of ``deliver_due`` did."""

    claimed: int = Field(description="messages this run took")
    delivered: int
    failed: int = Field(description="tries that failed and will be retried")
    dead: int = Field(description="messages given up on in this run")
    taken_over: int = Field(default=0, description="messages whose earlier deliverer stopped mid-send (resent)")
    admin_alerts: int = Field(default=0, description="messages queued to the admins about dead messages")
    errors: list[str] = Field(default_factory=list, description="what went wrong, per message")


class DeliveryError(View):
    """A recent failed try."""

    message_id: int
    channel: str
    subject: str
    at: IsoDateTime
    error: str


class DeliveryHealth(View):
    """The outbox at a glance, for the Health page."""

    queued: int = Field(description="waiting for their first try")
    sending: int
    failing: int = Field(description="failed at least once, tried again later")
    dead: int = Field(description="given up: need an admin (onpace outbox retry ID)")
    delivered: int
    recent_errors: list[DeliveryError] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.failing == 0 and self.dead == 0
