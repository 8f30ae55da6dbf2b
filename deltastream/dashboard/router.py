"""HTML routes of the dashboard (one per :data:`~deltastream.dashboard.pages.PAGES` entry) and its
static assets, mounted by the edge with :func:`install_dashboard`."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from deltastream import __version__
from deltastream.dashboard.pages import PAGES, Page

HERE = Path(__file__).parent
STATIC_PATH = "/static"
templates = Jinja2Templates(directory=HERE / "templates")


def _page_route(router: APIRouter, page: Page, public_reads: bool) -> None:
    async def render(request: Request) -> HTMLResponse:
        return templates.TemplateResponse(
            request,
            f"pages/{page.name}.html",
            {
                "page": page,
                "pages": [p for p in PAGES if p.nav],
                "static": STATIC_PATH,
                "version": __version__,
                "public_reads": public_reads,
            },
        )

    router.add_api_route(
        page.path,
        render,
        methods=["GET"],
        response_class=HTMLResponse,
        include_in_schema=False,
        name=page.name,
    )


def build_router(public_reads: bool) -> APIRouter:
    router = APIRouter(tags=["dashboard"])
    for page in PAGES:
        _page_route(router, page, public_reads)
    return router


def install_dashboard(app: FastAPI, *, public_reads: bool) -> None:
    """Mount the pages and ``/static`` (every asset, vendored libraries included: no CDN)."""
    app.include_router(build_router(public_reads))
    app.mount(STATIC_PATH, StaticFiles(directory=HERE / "static"), name="dashboard-static")
