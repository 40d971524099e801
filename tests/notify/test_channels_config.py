"""Channels, people and notification settings in onpace.yml: secrets only from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from onpace.catalog.channels import EmailChannel, FileChannel, SlackChannel, WebhookChannel
from onpace.catalog.project import load_project
from onpace.errors import DefinitionError
from onpace.services.delivery import resolve_recipients

from .receivers import write_project


def _errors(tmp_path: Path, channels: str, notifications: str = "") -> list[str]:
    write_project(tmp_path, channels, notifications)
    with pytest.raises(DefinitionError) as info:
        load_project(tmp_path, env={})
    return [str(i) for i in info.value.issues]


def test_channels_load_as_their_types(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        "  mail:\n    type: email\n    to: [ops@shop.example]\n    from: onpace@shop.example\n"
        "  chat:\n    type: slack\n    url_env: SLACK_URL\n"
        "  hook:\n    type: webhook\n    url: https://hooks.example.com/x\n    secret_env: HOOK_SECRET\n"
        "  inbox:\n    type: file\n    folder: outbox\n",
    )
    channels = load_project(tmp_path, env={}).config.channels
    assert isinstance(channels["mail"], EmailChannel) and channels["mail"].sender == "onpace@shop.example"
    assert channels["mail"].password_env == "ONPACE_SMTP_PASSWORD"
    assert isinstance(channels["chat"], SlackChannel) and channels["chat"].url_env == "SLACK_URL"
    assert isinstance(channels["hook"], WebhookChannel) and isinstance(channels["inbox"], FileChannel)


def test_an_inline_secret_is_an_error_naming_channel_key_and_variable(tmp_path: Path) -> None:
    errors = _errors(
        tmp_path,
        "  mail:\n    type: email\n    password: hunter2\n"
        "  chat:\n    type: slack\n    url: https://hooks.slack.com/services/T0/B0/xyz\n"
        "  hook:\n    type: webhook\n    url: https://hooks.example.com/x\n    secret: abc\n",
    )
    assert errors[0] == (
        "onpace.yml:5: channels.mail.password: a secret must not be written in onpace.yml ('password' of channel "
        "type email) (expected password_env: the name of an environment variable that holds it)"
    )
    assert len(errors) == 3  # the missing url_env of chat is not reported on top
    assert any(e.startswith("onpace.yml:8: channels.chat.url: a secret must not") and "url_env" in e for e in errors)
    assert any(
        e.startswith("onpace.yml:12: channels.hook.secret: a secret must not") and "secret_env" in e for e in errors
    )


def test_a_secret_in_an_env_key_is_caught(tmp_path: Path) -> None:
    [error] = _errors(tmp_path, "  chat:\n    type: slack\n    url_env: https://hooks.slack.com/services/T0/B0/xyz\n")
    assert error.startswith("onpace.yml:5: channels.chat.url_env: url_env names an environment variable")


def test_other_channel_mistakes_are_located(tmp_path: Path) -> None:
    errors = _errors(
        tmp_path,
        "  a:\n    type: sms\n"
        "  b:\n    type: teams\n    url_env: TEAMS_URL\n    colour: red\n"
        "  c:\n    type: file\n    folder: ../elsewhere\n"
        "  d:\n    type: webhook\n"
        "  e:\n    type: email\n    to: [not-an-address]\n",
        "  admins: [bob]\n",
    )
    assert errors == [
        "onpace.yml:3: channels.a: unknown channel type 'sms' (expected type: one of email, slack, teams, webhook, file)",
        "onpace.yml:8: channels.b.colour: unknown key 'colour' of channel type teams (expected one of type, "
        "description, url_env, card)",
        "onpace.yml:11: channels.c.folder: folder '../elsewhere' is outside the project (expected a relative folder "
        "such as outbox)",
        "onpace.yml:12: channels.d: give either 'url' or 'url_env' (expected exactly one of them)",
        "onpace.yml:16: channels.e.to: 'not-an-address' is not an email address (expected name@example.com)",
        "onpace.yml:17: notifications: admin recipient 'bob' names no channel, user or person (expected "
        "channel:NAME, user:NAME or person:NAME)",
    ]


def test_resolve_recipients(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        "  inbox:\n    type: file\n    folder: outbox\n  mail:\n    type: email\n  chat:\n    type: slack\n"
        "    url_env: SLACK_URL\n",
        people_yaml="  Maria Lopez:\n    email: maria@shop.example\n    user: maria\n  Tom:\n    slack: '@tom'\n",
    )
    project = load_project(tmp_path, env={})
    found = resolve_recipients(
        project,
        ["channel:chat", "user:maria", "person:Maria Lopez", "owner", "channel:chat"],
        kpi_owner="Maria Lopez",
    )
    assert found == [("chat", None), ("mail", "maria@shop.example")]
    assert resolve_recipients(project, ["owner"], kpi_owner="cfo@shop.example") == [("mail", "cfo@shop.example")]
    with pytest.raises(ValueError, match="recipient 'person:Tom': no email known"):
        resolve_recipients(project, ["person:Tom"], kpi_owner=None)
    with pytest.raises(ValueError, match=r"recipient 'channel:pager': no such channel .*inbox, mail, chat"):
        resolve_recipients(project, ["channel:pager"], kpi_owner=None)
    with pytest.raises(ValueError, match="recipient 'owner': this has no KPI owner"):
        resolve_recipients(project, ["owner"], kpi_owner=None)
    with pytest.raises(ValueError, match="recipient 'team'; expected"):
        resolve_recipients(project, ["team"], kpi_owner=None)


def test_a_person_without_an_email_channel_cannot_be_reached(tmp_path: Path) -> None:
    write_project(
        tmp_path, "  inbox:\n    type: file\n    folder: outbox\n", people_yaml="  Ann:\n    email: ann@shop.example\n"
    )
    with pytest.raises(ValueError, match=r"recipient 'person:Ann' is reached by email, but onpace\.yml has no channel"):
        resolve_recipients(load_project(tmp_path, env={}), ["person:Ann"], kpi_owner=None)
