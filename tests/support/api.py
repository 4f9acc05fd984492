"""An HTTP client of a running server that checks every answer against openapi.yaml with
openapi-core: a response the contract does not allow fails the test that received it."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import httpx
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

from tests.support.http import TLS
from token_api.contract.document import load_document


@lru_cache(maxsize=8)
def contract_for(base_url: str) -> OpenAPI:
    document = copy.deepcopy(load_document())
    document["servers"] = [{"url": base_url}]
    return OpenAPI.from_dict(document)


@dataclass
class _Request:
    host_url: str
    path: str
    method: str
    body: bytes | None
    content_type: str
    parameters: RequestParameters = field(default_factory=RequestParameters)


@dataclass
class _Response:
    status_code: int
    content_type: str
    headers: Headers
    data: bytes | None


def _sent_body(request: httpx.Request) -> bytes | None:
    try:
        return request.content or None
    except httpx.RequestNotRead:  # a streamed (chunked) body: already gone
        return None


def check_contract(base_url: str, response: httpx.Response) -> None:
    """Raise if ``response`` is not one the contract allows for its request."""
    sent = response.request
    request = _Request(
        host_url=base_url,
        path=sent.url.path,
        method=sent.method.lower(),
        body=_sent_body(sent),
        content_type=sent.headers.get("content-type", "application/json").lower(),
        parameters=RequestParameters(
            query=ImmutableMultiDict(sent.url.params.multi_items()),
            header=Headers(dict(sent.headers)),
        ),
    )
    answer = _Response(
        status_code=response.status_code,
        content_type=response.headers.get("content-type", "").lower(),
        headers=Headers(list(response.headers.items())),
        data=response.content,
    )
    contract_for(base_url).validate_response(request, answer)
    assert response.headers.get("content-type", "").startswith("application/json"), response.headers


class Client:
    """httpx with a bearer token and a contract check on each response."""

    def __init__(self, base_url: str, token: str | None = None) -> None:
        self.base_url = base_url
        self.token = token
        self.http = httpx.Client(verify=TLS, base_url=base_url, timeout=30)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_: object) -> None:
        self.http.close()

    def as_(self, token: str | None) -> Client:
        other = Client(self.base_url, token)
        return other

    def request(
        self, method: str, path: str, *, check: bool = True, **kwargs: Any
    ) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}) or {})
        if self.token is not None:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        response = self.http.request(method, path, headers=headers, **kwargs)
        if check:
            check_contract(self.base_url, response)
        return response

    def create(self, body: Any = None, *, token: str | None = ..., **kwargs: Any) -> httpx.Response:  # type: ignore[assignment]
        """POST /api/v1/token with a JSON body (``token=None``: no credentials)."""
        headers = dict(kwargs.pop("headers", {}) or {})
        if token is not ...:
            if token is None:
                headers["Authorization"] = ""
            else:
                headers["Authorization"] = f"Bearer {token}"
        if body is not None and "content" not in kwargs:
            kwargs["json"] = body
        response = self.request("POST", "/api/v1/token", headers=headers, **kwargs)
        return response
