"""The REST edge: market-data routes, the gateway pieces (rate limits, CORS, metrics, OpenAPI),
the mobile backend-for-frontend and the admin dead-letter routes.

``install_api(app, runtime)`` mounts the API role's routes and middleware; ``install_metrics(app)``
adds ``/metrics`` and the HTTP metrics for every role.
"""

from __future__ import annotations

from deltastream.api.gateway import install_api, install_metrics

__all__ = ["install_api", "install_metrics"]
