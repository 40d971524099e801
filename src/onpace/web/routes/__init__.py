"""Web pages, one module per area."""
