"""Who is logged in, and what their role may do (``GET /api/me``, the answer of ``POST /api/login``)."""

from __future__ import annotations

from onpace.services import auth
from onpace.services.views.session import Me


def me(user: auth.CurrentUser) -> Me:
    return Me(
        name=user.name,
        role=user.role,
        department=user.department,
        via=user.via,
        csrf_token=user.csrf_token,
        permissions=[action for action in auth.NEEDS if user.can(action)],
    )
