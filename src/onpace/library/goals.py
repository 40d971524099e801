"""The objectives and KPIs a project made from an industry's template starts with.

``goals/<industry>.yml`` holds one models file per industry: one to three objectives, each
with an owner, and a few KPIs on the main metrics of that industry's library entries, with
targets set against the demo company's data (the data ``onpace init --template`` writes).
:func:`create_from_template <onpace.library.scaffold.create_from_template>` writes it as
``models/goals.yml``; a test loads, refreshes and lints every one of them.
"""

from __future__ import annotations

from importlib import resources

from onpace.library.industries import Industry

PACKAGE = "onpace.library"
GOALS_FILE = "goals.yml"
"""Its name in the project, in the first models folder."""


def goals_text(industry: Industry | str) -> str:
    """The text of the industry's goals file, as shipped (comments included)."""
    industry = Industry(industry)
    return (resources.files(PACKAGE) / "goals" / f"{industry.value}.yml").read_text(encoding="utf-8")
