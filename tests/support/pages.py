"""A vendor reference page (MDX) built from a published contract, in the structure of the real
page (docs.cloud.deepset.ai/reference/create-token, as taken): the suite needs no copy of it."""

from __future__ import annotations

import json
from typing import Any

from token_api.spectools.published import Published

_PAGE = """# Create Token

<Heading
  as={{"h1"}}
  className={{"openapi__heading"}}
  children={{"Create Token"}}
>
</Heading>

<MethodEndpoint
  method={{"{method}"}}
  path={{"{path}"}}
  context={{"endpoint"}}
>
{blank}
</MethodEndpoint>

Creates the API key that you can use to connect Haystack Enterprise Platform to your application.

<Heading
  id={{"request"}}
  as={{"h2"}}
  className={{"openapi-tabs__heading"}}
  children={{"Request"}}
>
</Heading>

<ParamsDetails
  parameters={{undefined}}
>
{blank}
</ParamsDetails>

<RequestSchema
  title={{"Body"}}
  body={{{body}}}
>
{blank}
</RequestSchema>

<StatusCodes
  id={{undefined}}
  label={{undefined}}
  responses={{{responses}}}
>
{blank}
</StatusCodes>
"""


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def page(contract: Published) -> str:
    return _PAGE.format(
        blank="  ",  # the page's empty element bodies hold two spaces
        method=contract.method,
        path=contract.path,
        body=_compact(contract.body),
        responses=_compact(contract.responses),
    )
