"""Login limits against real concurrent requests: atomic counting, no lockout of others, no forged addresses.

Each test runs a real server (uvicorn on a loopback port) on SQLite and on PostgreSQL. The
attacker sends 30 wrong passwords at once from 127.0.0.1; the user logs in from 127.0.0.2 (another
loopback address, bound as the client's source address).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from tests.api.conftest import PASSWORD, ROLES, settings_for
from tests.e2e.conftest import _free_port
from tests.site_fixtures import new_pg_database, serving_app

from onpace.config import Settings
from onpace.server import create_app
from onpace.services import auth
from onpace.services.workspace import Workspace
from onpace.store import users as store_users
from onpace.store.coltypes import utcnow
from onpace.store.db import Store
from onpace.store.models import LoginAttempt

ATTACKS = 30
OTHER_ADDRESS = "127.0.0.2"


# -- a real server on SQLite or PostgreSQL (imported by the other modules of this folder) -----------------
@contextmanager
def pg_settings(pg_url: str) -> Iterator[Settings]:
    """Settings of a new PostgreSQL database with the site's users (one per role); dropped afterwards."""
    with new_pg_database(pg_url, "onpace_sec") as url:
        store = Store.open(url)
        try:
            for role in ROLES:
                auth.add_user(
                    store, role, PASSWORD, role, actor="test", department="Sales" if role == "editor" else None
                )
        finally:
            store.close()
        yield Settings(database_url=url, environment="development")


@contextmanager
def site_settings(backend: str, root: Path, request: pytest.FixtureRequest) -> Iterator[Settings]:
    if backend == "sqlite":
        yield settings_for(root)
    else:
        with pg_settings(request.getfixturevalue("pg_url")) as settings:
            yield settings


@contextmanager
def live_server(root: Path, settings: Settings) -> Iterator[tuple[str, Workspace]]:
    """The base URL and workspace of a real server for the site at ``root`` (uvicorn in a thread)."""
    workspace = Workspace(root, settings)
    try:
        with serving_app(create_app(workspace), proxy_headers=False) as base:
            yield base, workspace
    finally:
        workspace.store.close()


def copy_site(template: Path, tmp_path: Path) -> Path:
    root = tmp_path / "tpch"
    shutil.copytree(template, root)
    return root


def client_from(address: str, base: str) -> httpx.Client:
    return httpx.Client(base_url=base, timeout=60, transport=httpx.HTTPTransport(local_address=address))


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


# -- the tests ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("backend", BACKENDS)
def test_parallel_guesses_check_at_most_the_limit_and_do_not_lock_out_the_user(
    backend: str,
    tpch_site_template: Path,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    checked: list[str] = []
    lock = threading.Lock()
    verify = auth._verify

    def counting(hashed: str, password: str) -> bool:
        with lock:
            checked.append(password)
        return verify(hashed, password)

    monkeypatch.setattr(auth, "_verify", counting)
    root = copy_site(tpch_site_template, tmp_path)
    with site_settings(backend, root, request) as settings, live_server(root, settings) as (base, _):
        barrier = threading.Barrier(ATTACKS)

        def guess(i: int) -> int:
            with client_from("127.0.0.1", base) as client:
                barrier.wait()
                return client.post("/api/login", json={"name": "viewer", "password": f"guess number {i}"}).status_code

        with ThreadPoolExecutor(ATTACKS) as pool:
            answers = list(pool.map(guess, range(ATTACKS)))

        wrong = [p for p in checked if p.startswith("guess number")]
        assert len(wrong) <= auth.MAX_FAILURES_PER_NAME, f"{len(wrong)} passwords were checked: {answers}"
        assert answers.count(429) >= ATTACKS - auth.MAX_FAILURES_PER_NAME
        assert set(answers) <= {401, 429}

        # the attacker's address stays locked out, even with the right password...
        with client_from("127.0.0.1", base) as client:
            assert client.post("/api/login", json={"name": "viewer", "password": PASSWORD}).status_code == 429
        # ...but the user, from their own address, logs in
        with client_from(OTHER_ADDRESS, base) as client:
            answer = client.post("/api/login", json={"name": "viewer", "password": PASSWORD})
            assert answer.status_code == 200, answer.text
            assert client.get("/api/me").json()["name"] == "viewer"


@pytest.mark.parametrize("backend", BACKENDS)
def test_one_address_is_limited_across_names(
    backend: str, tpch_site_template: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    root = copy_site(tpch_site_template, tmp_path)
    with site_settings(backend, root, request) as settings, live_server(root, settings) as (base, _):
        with client_from("127.0.0.1", base) as client:
            answers = [
                client.post("/api/login", json={"name": f"name{i}", "password": "wrong password"}).status_code
                for i in range(auth.MAX_FAILURES_PER_CLIENT + 1)
            ]
            assert answers[:-1] == [401] * auth.MAX_FAILURES_PER_CLIENT and answers[-1] == 429
            assert client.post("/api/login", json={"name": "editor", "password": PASSWORD}).status_code == 429
        with client_from(OTHER_ADDRESS, base) as client:
            assert client.post("/api/login", json={"name": "editor", "password": PASSWORD}).status_code == 200


def test_old_failed_logins_are_purged_whatever_the_name(site: object) -> None:
    workspace: Workspace = site.workspace  # type: ignore[attr-defined]
    store = workspace.store
    old = utcnow() - auth.FAILURE_WINDOW - dt.timedelta(minutes=1)
    with store.session() as s:
        for i in range(50):
            s.add(LoginAttempt(name=f"nobody{i}", client="10.0.0.1", at=old))
        store_users.add_failed_login(s, "recent-unknown", "10.0.0.2")
    answer = site.client.post("/api/login", json={"name": "viewer", "password": PASSWORD})  # type: ignore[attr-defined]
    assert answer.status_code == 200
    with store.session(readonly=True) as s:
        names = list(s.scalars(select(LoginAttempt.name)))
        assert names == ["recent-unknown"]
        assert s.scalar(select(func.count()).select_from(LoginAttempt).where(LoginAttempt.at < old)) == 0


def test_ipv6_clients_are_counted_by_their_64_network() -> None:
    assert auth.client_key("2001:db8:1:2:aaaa::1") == auth.client_key("2001:db8:1:2:bbbb::9") == "2001:db8:1:2::/64"
    assert auth.client_key("2001:db8:1:3::1") != auth.client_key("2001:db8:1:2::1")
    assert auth.client_key("::ffff:10.1.2.3") == "10.1.2.3"
    assert auth.client_key("192.0.2.7") == "192.0.2.7"
    assert auth.client_key("testclient") == "testclient"


# -- forwarded headers: `onpace serve` believes them only from ONPACE_TRUSTED_PROXIES ---------------------
@contextmanager
def onpace_serve(root: Path, **env: str) -> Iterator[str]:
    port = _free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ONPACE_")}
    environment |= {"ONPACE_DATABASE_URL": settings_for(root).database_url or "", **env}
    command = [sys.executable, "-m", "onpace", "serve", "--project", str(root), "--port", str(port)]
    process = subprocess.Popen(command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"onpace serve ended: {process.stdout.read().decode() if process.stdout else ''}")
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("onpace serve did not start")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)
        if process.stdout is not None:
            process.stdout.close()


def _rotating_guesses(base: str) -> list[int]:
    with httpx.Client(base_url=base, timeout=60) as client:
        return [
            client.post(
                "/api/login",
                json={"name": "strategist", "password": "wrong password"},
                headers={"X-Forwarded-For": f"198.51.100.{i + 1}"},
            ).status_code
            for i in range(auth.MAX_FAILURES_PER_NAME + 2)
        ]


def test_serve_ignores_forwarded_addresses_unless_a_proxy_is_trusted(tpch_site_template: Path, tmp_path: Path) -> None:
    root = copy_site(tpch_site_template, tmp_path)
    with onpace_serve(root) as base:
        answers = _rotating_guesses(base)
    # every guess counts against 127.0.0.1, whatever address the header claims
    assert answers == [401] * auth.MAX_FAILURES_PER_NAME + [429, 429]

    root2 = copy_site(tpch_site_template, tmp_path / "trusted")
    with onpace_serve(root2, ONPACE_TRUSTED_PROXIES="127.0.0.1") as base:
        answers = _rotating_guesses(base)
    # behind a configured proxy, each forwarded address is its own client
    assert answers == [401] * (auth.MAX_FAILURES_PER_NAME + 2)
