"""What a target's numbers and dates may be (catalog.goals.Target, and every definition's numbers).

Found by probing the app: ``{"at_least": true}`` was a target of 1.0 (YAML's ``yes`` too), a pair
``[true, 5]`` a band from 1 to 5, and ``from: 1066-10-14`` a schedule date outside the dates onpace
supports (1900-01-01 to 2199-12-31, which every other date of a definition keeps to).
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from onpace.catalog import models as m
from onpace.catalog.goals import Target


@pytest.mark.parametrize(
    "body", [{"at_least": True}, {"at_most": False}, {"between": [True, 5]}, {"change": True, "vs": "previous_period"}]
)
def test_true_and_false_are_not_numbers(body: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="expected a number, not true or false"):
        Target.model_validate(body)


def test_numbers_and_numeric_text_still_are() -> None:
    assert Target.model_validate({"at_least": 3}).at_least == 3.0
    assert Target.model_validate({"at_least": "1e6"}).at_least == 1e6  # YAML 1.1 reads 1e6 as text
    assert Target.model_validate({"between": [0, 2.5]}).between == (0.0, 2.5)


def test_a_boolean_field_still_takes_a_boolean() -> None:
    assert m.Key.model_validate({"name": "order", "column": "o_orderkey", "primary": True}).primary is True


@pytest.mark.parametrize("day", ["1066-10-14", "2200-01-01"])
def test_a_schedules_date_is_within_the_supported_dates(day: str) -> None:
    with pytest.raises(ValidationError, match="outside the dates onpace supports"):
        Target.model_validate({"at_least": 1, "from": day})
    assert str(Target.model_validate({"at_least": 1, "from": "2026-01-01"}).effective_from) == "2026-01-01"
