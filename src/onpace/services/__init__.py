"""Services: refresh, evaluation, scorecard, governance — the engine, the store and the KPI math together."""
