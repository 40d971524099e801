"""Every setting onpace reads from the environment is documented in docs/configuration.md."""

from __future__ import annotations

import re
from pathlib import Path

from onpace.config import Settings

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")


def test_every_setting_is_documented() -> None:
    prefix = str(Settings.model_config.get("env_prefix", ""))
    for name in Settings.model_fields:
        assert f"`{prefix}{name.upper()}`" in DOC, f"{prefix}{name.upper()} is not in docs/configuration.md"


def test_every_onpace_variable_the_code_reads_is_documented() -> None:
    read = set()
    for path in (ROOT / "src" / "onpace").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        read |= set(re.findall(r"""(?:environ(?:\.get)?\(|environ\[|envvar=)["'](ONPACE_[A-Z_]+)["']""", text))
    assert read, "the pattern no longer finds the variables the code reads"
    missing = sorted(v for v in read if f"`{v}`" not in DOC)
    assert not missing, f"undocumented in docs/configuration.md: {missing}"
