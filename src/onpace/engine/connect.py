"""Connections to data sources, by URL, through ibis backends."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import ibis

from onpace.errors import BackendError, MissingDependencyError, UserError

_EXTRAS = {"postgres": "postgres", "mysql": "mysql", "pyspark": "spark"}


def dialect_of(url: str) -> str:
    scheme = url.split(":", 1)[0].lower()
    return {
        "postgresql": "postgres",
        "postgres": "postgres",
        "mysql": "mysql",
        "mariadb": "mysql",
        "spark": "pyspark",
        "pyspark": "pyspark",
        "duckdb": "duckdb",
    }.get(scheme, scheme)


def connect(url: str, root: Path) -> Any:
    """An ibis backend for ``url``; relative DuckDB paths are relative to the project ``root``."""
    dialect = dialect_of(url)
    try:
        if dialect == "duckdb":
            return _duckdb(url, root)
        if dialect == "postgres":
            _require("ibis.backends.postgres", "postgres")
            return ibis.connect("postgres://" + url.split("://", 1)[1])
        if dialect == "mysql":
            _require("ibis.backends.mysql", "mysql")
            return _mysql(url)
        if dialect == "pyspark":
            _require("pyspark", "spark")
            return _spark(url)
    except (UserError, MissingDependencyError):
        raise
    except Exception as exc:
        raise BackendError(f"cannot connect to {redact(url)}: {exc}") from exc
    raise UserError(f"unsupported source URL {redact(url)!r}")


def redact(url: str) -> str:
    """The URL without its password, for messages."""
    parsed = urlparse(url)
    if parsed.password:
        return url.replace(":" + parsed.password + "@", ":***@")
    return url


def _require(module: str, extra: str) -> None:
    import importlib

    try:
        importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError(
            f'this source needs an optional engine that is not installed: pip install "onpace[{extra}]" ({exc})'
        ) from exc


def _duckdb(url: str, root: Path) -> Any:
    rest = url.split(":", 1)[1]
    if rest in ("", "//", "///", "///:memory:", ":memory:"):
        return ibis.duckdb.connect()
    # duckdb:///relative/file.duckdb (to the project) or duckdb:////absolute/file.duckdb
    path = Path(rest[3:] if rest.startswith("///") else rest.lstrip("/"))
    if not path.is_absolute():
        path = root / path
    if not path.exists():
        raise UserError(f"DuckDB file {path} does not exist (source URL {url!r})")
    # onpace sorts every result itself, so DuckDB need not keep rows in insertion order,
    # which lets its aggregations and joins stream with less memory.
    return ibis.duckdb.connect(str(path), preserve_insertion_order=False)


def _mysql(url: str) -> Any:
    parsed = urlparse(url)
    return ibis.mysql.connect(
        host=parsed.hostname or "localhost",
        port=parsed.port or 3306,
        user=unquote(parsed.username or "root"),
        password=unquote(parsed.password or ""),
        database=(parsed.path or "/").lstrip("/") or None,
    )


def _spark(url: str) -> Any:
    from pyspark.sql import SparkSession

    master = url.split("://", 1)[1] or "local[2]"
    if not master.startswith("local"):
        master = "spark://" + master
    session = (
        SparkSession.builder.master(master)
        .appName("onpace")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    return ibis.pyspark.connect(session)
