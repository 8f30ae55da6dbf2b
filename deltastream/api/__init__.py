"""The REST edge: market-data routes, the gateway pieces (rate limits, CORS, metrics, OpenAPI),
the mobile backend-for-frontend and the admin dead-letter routes.

``install_api(app, runtime)`` is the one entry point the composition root calls.
"""

from __future__ import annotations

from deltastream.api.gateway import install_api

__all__ = ["install_api"]
