"""``AlertsDep``: the :class:`~deltastream.alerts.service.Alerts` service of the app's state."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from deltastream.alerts.service import Alerts


async def get_alerts(request: Request) -> Alerts:
    alerts: Alerts = request.state.alerts
    return alerts


AlertsDep = Annotated[Alerts, Depends(get_alerts)]
