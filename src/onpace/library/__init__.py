"""The built-in KPI library: standard definitions mapped onto your own tables and columns.

Each entry (``definitions/*.yml``) is a metric template with inputs (the tables and
columns it reads, whose defaults are the demo company's), a unit, a direction, a
usual cadence, the industries it serves, what it tells, and benchmarks only where a
cited source publishes one. :mod:`~onpace.library.entries` loads them,
:mod:`~onpace.library.render` fills a template, :mod:`~onpace.library.scaffold`
writes entries into a project (``onpace library add``, ``onpace init --template``).

This module imports nothing, so the CLI can read :mod:`~onpace.library.industries`
cheaply at start-up.
"""
