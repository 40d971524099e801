"""Importers: definitions kept by other tools turned into onpace's (dbt's Semantic Layer: docs/dbt.md)."""
