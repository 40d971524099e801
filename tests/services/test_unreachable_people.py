"""A recipient without an email is named with every place a person's email can be written: people:
in onpace.yml or a model file, or the web app's Settings → People."""

from __future__ import annotations

from pathlib import Path

import pytest

from onpace.services.delivery import resolve_recipients

from .report_shop import load, make_shop

WHERE = "under people: in onpace.yml or a model file, or in the web app (Settings → People)"


@pytest.mark.parametrize(
    ("recipient", "owner", "message"),
    [
        ("owner", "Marketing", f"recipient 'owner': the owner 'Marketing' has no email (add them {WHERE})"),
        ("person:Marketing", None, f"recipient 'person:Marketing': no email known (add it {WHERE})"),
        ("user:mia", None, f"recipient 'user:mia': no email known (add it {WHERE})"),
    ],
)
def test_the_message_names_every_place_people_are_made(
    tmp_path: Path, recipient: str, owner: str | None, message: str
) -> None:
    project = load(make_shop(tmp_path / "shop", smtp_port=2525))
    with pytest.raises(ValueError) as raised:
        resolve_recipients(project, [recipient], kpi_owner=owner)
    assert str(raised.value) == message
    assert resolve_recipients(project, ["person:Sales"], kpi_owner=None) == [("mail", "sales@shop.test")]
