"""/docs: the OpenAPI page, with Swagger UI served from the install
(swagger-ui-bundle, Apache-2.0) instead of FastAPI's default CDN, so opening
the docs fetches nothing from the internet."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

STATIC = "/docs-static"


def local_docs(app: FastAPI) -> None:
    app.mount(STATIC, StaticFiles(directory=str(swagger_ui_path)), name="docs-static")

    @app.get("/docs", include_in_schema=False)
    def docs():
        return get_swagger_ui_html(
            openapi_url=app.openapi_url, title=f"{app.title} · API",
            swagger_js_url=f"{STATIC}/swagger-ui-bundle.js", swagger_css_url=f"{STATIC}/swagger-ui.css",
            swagger_favicon_url=f"{STATIC}/favicon-32x32.png",
        )
