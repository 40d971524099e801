"""Every service that looks a KPI up by name answers an unknown one the same way (services.lookup):
a 404 naming it, with the closest name when there is one."""

from __future__ import annotations

from pathlib import Path

import pytest

from onpace.catalog.project import load_project
from onpace.errors import NotFoundError
from onpace.services import backtest, follows, lookup
from onpace.store.db import Store


def test_backtest_suggests_the_closest_kpi(shop: Path) -> None:
    project = load_project(shop)
    with pytest.raises(NotFoundError, match=r"^no KPI named 'q_revenu'; did you mean 'q_revenue'\?$"):
        backtest.recurring(project, "q_revenu")
    with pytest.raises(NotFoundError, match=r"^no KPI named 'zzz'$"):  # nothing close: no suggestion
        backtest.recurring(project, "zzz")
    assert [i.kpi.name for i in backtest.recurring(project, "q_revenue")] == ["q_revenue"]  # every quarter
    assert backtest.recurring(project, "later") == []  # known, but one fixed quarter: nothing to replay


def test_follows_and_backtest_say_it_in_the_same_words(shop: Path, tmp_path: Path) -> None:
    project = load_project(shop)
    with Store.open(f"sqlite:///{tmp_path / 'store.db'}") as store, pytest.raises(NotFoundError) as followed:
        follows.follow(project, store, "ana", "q_revenu")
    with pytest.raises(NotFoundError) as replayed:
        backtest.recurring(project, "q_revenu")
    with pytest.raises(NotFoundError) as checked:
        lookup.get_kpi(project, "q_revenu")
    assert str(followed.value) == str(replayed.value) == str(checked.value)
    assert followed.value.status == 404
