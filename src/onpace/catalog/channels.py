"""Where notifications go (channels), who people are (their addresses), and how messages are delivered.

``channels:`` in onpace.yml maps a name to a channel, told apart by ``type``: ``email``, ``slack``,
``teams``, ``webhook`` or ``file`` (docs/notifications.md). **No secret is ever written in the file**:
an SMTP password, a Slack or Teams webhook URL (the URL *is* the secret) and a webhook's signing key
come from environment variables that the channel names in its ``*_env`` keys. A key that looks like
an inline secret (``password``, ``token``, ``secret``, a Slack/Teams ``url``…) is an error naming the
channel and the key, and saying which ``*_env`` key to use instead.

``Channel`` validates into one of its subclasses by ``type`` (so ``ProjectConfig.channels`` holds
``EmailChannel``, ``SlackChannel``… instances), and its JSON Schema is the union of theirs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field, GetJsonSchemaHandler, ValidationError, field_validator, model_validator
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import InitErrorDetails, PydanticCustomError, core_schema

from onpace.catalog.base import Model, NameText
from onpace.errors import did_you_mean

ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
EMAIL = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")

DEFAULT_SMTP_USER_ENV = "ONPACE_SMTP_USER"
DEFAULT_SMTP_PASSWORD_ENV = "ONPACE_SMTP_PASSWORD"
# keys that hold a secret when written inline, and the key that names its environment variable instead
_SECRET_KEYS = {
    "password": "password_env",
    "pass": "password_env",
    "passwd": "password_env",
    "secret": "secret_env",
    "signing_secret": "secret_env",
    "token": "url_env",
    "api_key": "url_env",
    "apikey": "url_env",
    "webhook_url": "url_env",
    "webhook": "url_env",
}


def _is_email(value: str) -> bool:
    return bool(EMAIL.match(value))


CHANNEL_TYPES: dict[str, type[Channel]] = {}  # type -> its model, filled below the models


class Channel(Model):
    """One place messages are delivered to; ``type`` says which kind (see the subclasses)."""

    type: Literal["email", "slack", "teams", "webhook", "file"] = Field(description="The kind of channel.")
    description: str | None = Field(default=None, description="What the channel is for.")

    @model_validator(mode="wrap")
    @classmethod
    def _by_type(cls, data: Any, handler: Any) -> Any:
        if cls is not Channel or not isinstance(data, dict):
            return handler(data)
        kind = data.get("type")
        chosen = CHANNEL_TYPES.get(kind) if isinstance(kind, str) else None
        if chosen is None:
            shown = "no type" if kind is None else f"unknown channel type {kind!r}"
            raise ValueError(f"{shown}; expected type: one of {', '.join(CHANNEL_TYPES)}")
        secrets, instead = _inline_secrets(data)
        problems = secrets + _unknown_keys(chosen, data)
        wrong = {str(p["loc"][0]) for p in problems}
        try:
            channel = chosen.model_validate({k: v for k, v in data.items() if str(k) not in wrong})
        except ValidationError as exc:
            problems += [
                InitErrorDetails(
                    type=PydanticCustomError("value_error", str(e["msg"]).removeprefix("Value error, ")),
                    loc=tuple(e["loc"]),
                    input=e.get("input"),
                )
                if e["type"] != "missing"
                else InitErrorDetails(type="missing", loc=tuple(e["loc"]), input=e.get("input"))
                for e in exc.errors()
                if not (e["type"] == "missing" and tuple(e["loc"]) in {(k,) for k in instead})
            ]
        if problems:
            raise ValidationError.from_exception_data("Channel", problems)
        return channel

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        if cls is not Channel:
            return handler(schema)
        members = [handler(kind.__pydantic_core_schema__) for kind in CHANNEL_TYPES.values()]
        return {"oneOf": members, "description": "A channel: its keys depend on its type."}

    @field_validator("*", mode="after")
    @classmethod
    def _env_names(cls, value: Any, info: Any) -> Any:
        if info.field_name.endswith("_env") and value is not None and not re.match(ENV_NAME, value):
            raise ValueError(
                f"{info.field_name} names an environment variable (letters, digits and underscores), "
                "not its value; expected e.g. ONPACE_SLACK_URL, set in the environment"
            )
        return value


def _inline_secrets(data: dict[str, Any]) -> tuple[list[InitErrorDetails], set[str]]:
    """Keys holding a secret inline: errors located at those keys, and the ``*_env`` keys to use instead."""
    kind = data.get("type")
    found: list[InitErrorDetails] = []
    keys: set[str] = set()
    for key in data:
        instead = _SECRET_KEYS.get(str(key).lower())
        if str(key) == "url" and kind in ("slack", "teams"):
            instead = "url_env"
        if instead is None:
            continue
        keys.add(instead)
        found.append(
            InitErrorDetails(
                type=PydanticCustomError(
                    "value_error",
                    "a secret must not be written in onpace.yml ('{key}' of channel type {kind}); expected "
                    "{instead}: the name of an environment variable that holds it",
                    {"key": str(key), "instead": instead, "kind": str(kind)},
                ),
                loc=(str(key),),
                input=None,
            )
        )
    return found, keys


def _unknown_keys(chosen: type[Channel], data: dict[str, Any]) -> list[InitErrorDetails]:
    """Keys the channel's type does not have, each with the keys it has (and the closest one)."""
    allowed = [info.alias or name for name, info in chosen.model_fields.items()]
    found: list[InitErrorDetails] = []
    for key in data:
        if str(key) in allowed or str(key).lower() in _SECRET_KEYS or str(key) == "url":
            continue
        close = did_you_mean(str(key), allowed)
        found.append(
            InitErrorDetails(
                type=PydanticCustomError(
                    "value_error",
                    "unknown key '{key}' of channel type {kind}{hint}; expected one of {allowed}",
                    {
                        "key": str(key),
                        "kind": str(data.get("type")),
                        "hint": f" (did you mean '{close}'?)" if close else "",
                        "allowed": ", ".join(allowed),
                    },
                ),
                loc=(str(key),),
                input=None,
            )
        )
    return found


class EmailChannel(Channel):
    """Email over SMTP. Host, port, security and sender may come from ``ONPACE_SMTP_*`` variables."""

    type: Literal["email"]
    to: list[str] = Field(
        default_factory=list, description="The channel's own recipients (alerts to a person use their address)."
    )
    host: str | None = Field(default=None, description="SMTP server; default: $ONPACE_SMTP_HOST, else localhost.")
    port: int | None = Field(
        default=None, ge=1, le=65535, description="Default: $ONPACE_SMTP_PORT, else 587 (starttls), 465 (tls), 25."
    )
    security: Literal["starttls", "tls", "none"] | None = Field(
        default=None, description="starttls (default; or $ONPACE_SMTP_SECURITY), tls (implicit, port 465) or none."
    )
    sender: str | None = Field(
        default=None, alias="from", description="The From address; default: $ONPACE_SMTP_FROM, else onpace@localhost."
    )
    user_env: str = Field(default=DEFAULT_SMTP_USER_ENV, description="Variable holding the SMTP login (if any).")
    password_env: str = Field(default=DEFAULT_SMTP_PASSWORD_ENV, description="Variable holding the SMTP password.")

    @field_validator("to")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        for address in value:
            if not _is_email(address):
                raise ValueError(f"{address!r} is not an email address; expected name@example.com")
        return value

    @field_validator("sender")
    @classmethod
    def _sender(cls, value: str | None) -> str | None:
        if value is not None and not _is_email(value.rpartition("<")[2].rstrip(">").strip()):
            raise ValueError(f"{value!r} is not an email address; expected onpace@example.com")
        return value


class SlackChannel(Channel):
    """A Slack incoming webhook; its URL is a secret, read from the variable ``url_env`` names."""

    type: Literal["slack"]
    url_env: str = Field(description="Variable holding the incoming webhook's URL (https://hooks.slack.com/...).")


class TeamsChannel(Channel):
    """A Microsoft Teams webhook (a Workflows or connector URL), read from the variable ``url_env`` names."""

    type: Literal["teams"]
    url_env: str = Field(description="Variable holding the Teams webhook's URL.")
    card: Literal["adaptive", "message_card"] = Field(
        default="adaptive",
        description="adaptive (an Adaptive Card: Teams Workflows) or message_card (legacy Office 365 connectors).",
    )


class WebhookChannel(Channel):
    """A JSON POST to any URL, signed with HMAC-SHA256 when ``secret_env`` is given."""

    type: Literal["webhook"]
    url: str | None = Field(default=None, description="The URL (HTTPS outside development); or url_env.")
    url_env: str | None = Field(default=None, description="Variable holding the URL, when it is a secret.")
    secret_env: str | None = Field(
        default=None, description="Variable holding the key of the X-Onpace-Signature HMAC-SHA256 header."
    )

    @model_validator(mode="after")
    def _one_url(self) -> WebhookChannel:
        if (self.url is None) == (self.url_env is None):
            raise ValueError("give either 'url' or 'url_env'; expected exactly one of them")
        if self.url is not None:
            if not re.match(r"^https?://[^/\s]+", self.url):
                raise ValueError(f"url {self.url!r} is not an http(s) URL; expected https://host/path")
            if re.match(r"^https?://[^/@\s]*:[^/@\s]*@", self.url):
                raise ValueError("url holds a password; expected it in an environment variable named by 'url_env'")
        return self


class FileChannel(Channel):
    """Messages written as files in a folder of the project (to read them without any server)."""

    type: Literal["file"]
    folder: str = Field(description="A folder relative to the project, e.g. outbox/; created when missing.")

    @field_validator("folder")
    @classmethod
    def _relative(cls, value: str) -> str:
        parts = value.replace("\\", "/").split("/")
        if value.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", value) or ".." in parts or not value.strip():
            raise ValueError(f"folder {value!r} is outside the project; expected a relative folder such as outbox")
        return value


CHANNEL_TYPES.update(
    email=EmailChannel, slack=SlackChannel, teams=TeamsChannel, webhook=WebhookChannel, file=FileChannel
)


class Person(Model):
    """A person owners and user names map to."""

    email: str | None = Field(default=None, max_length=254, description="Their email address.")
    user: NameText | None = Field(default=None, description="Their login name in onpace, when they have one.")
    slack: str | None = Field(default=None, max_length=80, description="Their Slack handle, e.g. @maria.")

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and not _is_email(value):
            raise ValueError(f"{value!r} is not an email address; expected name@example.com")
        return value


class NamedPerson(Person):
    """A person defined in a model file (models/app.yml holds those made in the web app): a name and addresses."""

    name: NameText = Field(description="The person's name: what owners, user: and person: refer to.")

    @field_validator("name")
    @classmethod
    def _named(cls, value: str) -> str:
        if not value.strip():  # "   " was kept as a person no owner can name
            raise ValueError("a person's name is empty")
        return value


class Notifications(Model):
    """How the outbox delivers: tries, backoff, the lease, who hears about messages that could not go."""

    admins: list[str] = Field(
        default_factory=list,
        description="Who is told when a message is given up (dead): channel:NAME, user:NAME or person:NAME.",
    )
    max_attempts: int = Field(default=6, ge=1, le=50, description="Tries before a message is dead.")
    retry_seconds: float = Field(default=30, gt=0, description="Wait after the first failed try; doubled each try.")
    max_retry_seconds: float = Field(default=3600, gt=0, description="The longest wait between two tries.")
    lease_seconds: float = Field(
        default=300, ge=5, description="How long a deliverer holds a message; after it, another may resend it."
    )
    timeout_seconds: float = Field(default=20, gt=0, description="Timeout of one send (SMTP or HTTP).")
    app_url: str | None = Field(
        default=None, description="The web app's address, for links in messages (https://onpace.example.com)."
    )

    @model_validator(mode="after")
    def _checks(self) -> Notifications:
        if self.lease_seconds <= self.timeout_seconds:
            raise ValueError(
                f"lease_seconds ({self.lease_seconds:g}) must be longer than timeout_seconds "
                f"({self.timeout_seconds:g}); expected a lease that outlasts one send"
            )
        for recipient in self.admins:
            if not re.match(r"^(channel|user|person):.+$", recipient):
                raise ValueError(
                    f"admin recipient {recipient!r} names no channel, user or person; expected channel:NAME, user:NAME or person:NAME"
                )
        return self


def example_recipient(channels: Mapping[str, Channel]) -> str:
    """The recipient an editor's example names: ``owner`` when an email channel can reach owners (or no
    channel is set up), else the first channel (the demo's one channel is a folder: ``owner`` did not save)."""
    if not channels or any(c.type == "email" for c in channels.values()):
        return "owner"
    return f"channel:{next(iter(channels))}"
