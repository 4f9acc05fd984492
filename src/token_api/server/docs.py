"""Swagger UI 5 (which renders OpenAPI 3.1) at /docs, from the swagger-ui-py package's assets,
and the contract itself, byte for byte, at /openapi.yaml and as JSON at /openapi.json.

Connexion's own UI bundle is Swagger UI 4, which cannot render 3.1, and it serves a rewritten
copy of the document; so both are switched off and this middleware serves them instead.

The page reads the contract from /docs/openapi.json, whose first server is this one: "Try it out"
must reach the server that serves the page (on whatever host and port it runs), not the first
server of the contract, which is the platform itself."""

from __future__ import annotations

from pathlib import Path

import orjson
import swagger_ui
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from token_api.contract.document import load_document

ASSETS = Path(swagger_ui.__file__).parent / "static"

PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>token-api — Create Token</title>
  <link rel="stylesheet" href="/docs/static/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/static/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({
      url: "/docs/openapi.json", dom_id: "#swagger-ui", deepLinking: true
    });
  </script>
</body>
</html>
"""
# Relative: resolved against the address the page's document was fetched from (OpenAPI 3.1,
# "Server Object"), so it is this server behind any host name, port or proxy.
THIS_SERVER = {"url": "/", "description": "This server (the one serving these docs)."}


class DocsMiddleware:
    def __init__(self, app: ASGIApp, *, spec_file: Path) -> None:
        self.app = app
        raw = spec_file.read_bytes()
        document = load_document(spec_file)
        for_the_page = {**document, "servers": [THIS_SERVER, *document.get("servers", [])]}
        self.responses = {
            "/openapi.yaml": Response(raw, media_type="application/yaml"),
            "/openapi.json": Response(orjson.dumps(document), media_type="application/json"),
            "/docs/openapi.json": Response(
                orjson.dumps(for_the_page), media_type="application/json"
            ),
            "/docs/": HTMLResponse(PAGE),
            "/docs": RedirectResponse("/docs/"),
        }
        self.assets = StaticFiles(directory=ASSETS)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD"):
            path = scope["path"]
            response = self.responses.get(path)
            if response is not None:
                await response(scope, receive, send)
                return
            if path.startswith("/docs/static/"):
                await self.assets({**scope, "path": path[len("/docs/static") :]}, receive, send)
                return
        await self.app(scope, receive, send)
