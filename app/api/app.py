"""The FastAPI application: `create_app(runtime)` wires the routes to one optimizer and its workers.

The lifespan starts the optimizer (store, in-process workers, monitoring) and installs it as the seed's
default, so `get_optimization_status()` in this process reports the same thing as `GET /v1/status`;
on shutdown it stops intake and lets the optimizer drain (running jobs finish within the grace period
or go back to the queue with their attempt unspent).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from app.api import ops, routes, studio
from app.api.auth import KeyRing
from app.api.limits import BodyLimitMiddleware, BodyTooLarge
from app.api.metrics import ApiMetrics, wrap_handlers
from app.api.service import Service
from app.api.tokens import MediaTokens, load_secret
from app.core.system_optimizer import SystemOptimizer, set_default_optimizer
from app.errors import InputError, first_error
from app.runtime import Runtime
from app.services.documents import DocumentTooLarge

STATIC = Path(__file__).parent / "static"
FONTS = {"regular": "regular", "bold": "bold"}


def create_app(
    runtime: Runtime,
    workers: int = 1,
    optimizer: SystemOptimizer | None = None,
    keys: KeyRing | None = None,
) -> FastAPI:
    """`keys`: the key ring `t2v serve` checked at start; made from the settings when not given
    (a malformed key file raises KeyFileError)."""
    settings = runtime.settings
    optimizer = optimizer or runtime.system_optimizer(workers=workers)
    metrics = ApiMetrics()
    for worker in optimizer.parts.workers:
        worker.handlers = wrap_handlers(worker.handlers, metrics.timed)
    service = Service(
        runtime=runtime,
        optimizer=optimizer,
        keys=keys or KeyRing.from_settings(settings.api_keys, settings.api_keys_file),
        tokens=MediaTokens(load_secret(settings.data_dir / "api_secret")),
        metrics=metrics,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        set_default_optimizer(optimizer)
        await optimizer.start()
        try:
            yield
        finally:
            service.stop_intake()
            await optimizer.stop()
            set_default_optimizer(None)

    app = FastAPI(
        title="t2v",
        version="1",
        summary="Text and Markdown to narrated videos.",
        description="Authenticate with `Authorization: Bearer KEY`. Job links carry a short-lived "
        "`token` so that `<video>` elements and downloads work without the header.",
        lifespan=lifespan,
        docs_url=None,  # served by _add_docs from local files: no CDN
        redoc_url=None,
    )
    app.state.service = service
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=4 * settings.max_input_bytes + 64 * 1024,
        max_upload_bytes=settings.max_document_bytes + settings.max_music_bytes + 64 * 1024,
    )
    app.include_router(routes.router)
    app.include_router(ops.router)
    app.include_router(studio.router)
    _add_error_handlers(app)
    _add_page(app)
    _add_docs(app)
    return app


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DocumentTooLarge)
    async def too_large(_: Request, exc: DocumentTooLarge) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=413)

    @app.exception_handler(BodyTooLarge)
    async def body_too_large(_: Request, exc: BodyTooLarge) -> JSONResponse:
        return JSONResponse({"detail": "request body too large"}, status_code=413)

    @app.exception_handler(InputError)
    async def bad_input(_: Request, exc: InputError) -> JSONResponse:
        body: dict[str, object] = {"detail": str(exc)}
        problems = str(exc).splitlines()
        if len(problems) > 1 or getattr(exc, "problems", None):  # a storyboard's: one line each
            body["problems"] = problems
        return JSONResponse(body, status_code=422)

    @app.exception_handler(RequestValidationError)
    async def bad_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": first_error(exc.errors(), subject="request")}, 422)


def _add_docs(app: FastAPI) -> None:
    """Swagger UI at /docs from the files of a wheel (swagger-ui-bundle-v2), so it works offline."""
    from fastapi.openapi.docs import get_swagger_ui_html
    from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-untyped]  # (no stubs)

    app.mount("/docs-assets", StaticFiles(directory=swagger_ui_path), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="t2v API",
            swagger_js_url="/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/docs-assets/swagger-ui.css",
            swagger_favicon_url="/docs-assets/favicon-32x32.png",
        )


def _add_page(app: FastAPI) -> None:
    """The web page: static files, no build step, and the UI font (it has Vietnamese glyphs)."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8")

    @app.get("/fonts/{weight}.ttf", include_in_schema=False)
    async def font(weight: str) -> FileResponse:
        from app.services.visuals import default_fontset

        if weight not in FONTS:
            raise HTTPException(404, "no such font")
        fonts = default_fontset()
        path = fonts.bold if weight == "bold" else fonts.regular
        return FileResponse(path, media_type="font/ttf", headers={"Cache-Control": "public, max-age=86400"})
