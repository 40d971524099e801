"""Typed views: what services return and every interface shows.

One model per thing shown (a scorecard row, an evaluation, a run, a metric, an objective, the KPI
page...). The API uses them as ``response_model``s (so the OpenAPI document types every answer),
the templates read them as their context, and the CLI prints ``model_dump(mode="json")`` of the
same models for ``--format json``. A field is spelled here once, whatever shows it.
"""
