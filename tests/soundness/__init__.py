"""Soundness suite: each test pins a silent-wrong-answer trap against numbers computed by hand or by SQL."""

from __future__ import annotations
