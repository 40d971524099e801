"""Settings and where the store lives (onpace.config)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from onpace.config import Settings, store_url


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ONPACE_DATABASE_URL", raising=False)
    monkeypatch.delenv("ONPACE_ENVIRONMENT", raising=False)


def test_the_default_store_is_a_sqlite_file_in_the_project(tmp_path: Path) -> None:
    url = store_url(tmp_path)
    assert url == f"sqlite:///{(tmp_path / '.onpace' / 'store.db').as_posix()}"
    assert (tmp_path / ".onpace").is_dir()  # created on first use
    assert not (tmp_path / ".onpace" / "store.db").exists()  # the database itself is the store's job


def test_a_relative_project_root_gives_an_absolute_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert store_url(Path("project")) == f"sqlite:///{(tmp_path / 'project' / '.onpace' / 'store.db').as_posix()}"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://onpace:pw@db:5432/onpace", "postgresql+psycopg://onpace:pw@db:5432/onpace"),
        ("postgres://onpace@db/onpace", "postgresql+psycopg://onpace@db/onpace"),
        ("postgresql+psycopg://onpace@db/onpace", "postgresql+psycopg://onpace@db/onpace"),
        ("sqlite:////var/lib/onpace/store.db", "sqlite:////var/lib/onpace/store.db"),
    ],
)
def test_onpace_database_url_is_used_when_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, given: str, expected: str
) -> None:
    monkeypatch.setenv("ONPACE_DATABASE_URL", given)
    assert store_url(tmp_path) == expected
    assert not (tmp_path / ".onpace").exists()


def test_settings_passed_in_win_over_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONPACE_DATABASE_URL", "postgresql://db/env")
    assert store_url(tmp_path, Settings(database_url="postgres://db/given")) == "postgresql+psycopg://db/given"
    assert store_url(tmp_path, Settings(database_url=None)).startswith("sqlite:///")


def test_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().environment == "development"
    monkeypatch.setenv("ONPACE_ENVIRONMENT", "production")
    assert Settings().environment == "production"
    monkeypatch.setenv("ONPACE_ENVIRONMENT", "staging")
    with pytest.raises(ValidationError, match="development"):
        Settings()
