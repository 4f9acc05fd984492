"""Content-Type normalisation before Connexion's request validation.

Media types and the charset parameter are case-insensitive (RFC 9110 §8.3.1), but Connexion 3.3
looks the body schema up by the header's exact spelling and parses parameters only without
whitespace: ``APPLICATION/JSON`` skipped body validation entirely, and ``; charset=latin-1`` was
read as UTF-8. Rewriting the header to its canonical form closes both gaps.

GET and HEAD requests carry no body in this API, so their Content-Type is dropped: Connexion
would otherwise parse the body of ``GET /health`` as a form and answer an undocumented 400.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send


def canonical(value: str) -> str:
    media_type, *parameters = value.split(";")
    parts = [media_type.strip().lower()]
    for parameter in parameters:
        name, _, setting = parameter.strip().partition("=")
        if not name:
            continue
        name = name.strip().lower()
        setting = setting.strip().strip('"')
        parts.append(f"{name}={setting.lower() if name == 'charset' else setting}")
    return ";".join(parts)


class CanonicalContentType:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = scope["headers"]
            for index, (name, value) in enumerate(headers):
                if name == b"content-type":
                    headers = list(headers)
                    if scope["method"] in ("GET", "HEAD"):
                        del headers[index]
                    else:
                        headers[index] = (
                            name,
                            canonical(value.decode("latin-1")).encode("latin-1"),
                        )
                    scope = {**scope, "headers": headers}
                    break
        await self.app(scope, receive, send)
