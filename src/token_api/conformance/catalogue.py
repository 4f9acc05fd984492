"""Every check a conformance run reports, in report order, with one line saying what it checks."""

from __future__ import annotations

from dataclasses import dataclass

TOKEN_API = "token-api"
# Schemathesis's test phases, in the order it runs them.
PHASES = ("examples", "coverage", "fuzzing", "stateful")
# Shared by the command and the pytest plugin; this module is light enough for their start-up.
ENV_TOKEN = "TOKEN_API_TOKEN"
DEFAULT_TIMEOUT = 600.0
SCHEMATHESIS = "schemathesis"


@dataclass(frozen=True, slots=True)
class CheckInfo:
    name: str
    source: str  # TOKEN_API or SCHEMATHESIS
    description: str


# The API's own rules: checked on every response Schemathesis generates (where they apply) and by
# the scenarios that drive the API as narrower callers.
API_RULES = (
    CheckInfo("token_format", TOKEN_API, "a minted key is api_… and its id a UUID"),
    CheckInfo(
        "token_authenticates",
        TOKEN_API,
        "a minted key is recognised at once (Create Token: 403, not 401; or 2xx at --key-probe)",
    ),
    CheckInfo("api_key_cannot_mint", TOKEN_API, "an API key presented to Create Token is refused"),
    CheckInfo("tokens_unique", TOKEN_API, "key ids and secrets never repeat"),
    CheckInfo(
        "no_wider_role", TOKEN_API, "a MEMBER/EXTERNAL session cannot grant a wider role (403)"
    ),
    CheckInfo(
        "no_service_token", TOKEN_API, "a MEMBER/EXTERNAL session cannot mint a service key (403)"
    ),
    CheckInfo(
        "no_workspace_outside_reach",
        TOKEN_API,
        "a session cannot mint a key for a workspace outside its user's reach (403)",
    ),
    CheckInfo(
        "expired_token_refused", TOKEN_API, "a key is recognised until it expires, 401 after"
    ),
    CheckInfo(
        "expiry_rules",
        TOKEN_API,
        "a past expires_at, expires false with expires_at, no offset, a number: each 422",
    ),
    CheckInfo(
        "hostile_bodies",
        TOKEN_API,
        "bad UTF-8, lone surrogate, NaN, deep nesting, duplicate keys, oversize: documented 4xx",
    ),
    CheckInfo(
        "credentials_required",
        TOKEN_API,
        "missing or bad credentials: 401 with WWW-Authenticate: Bearer",
    ),
    CheckInfo(
        "error_body_shape", TOKEN_API, 'errors are HTTPValidationError (422) or {"detail": str}'
    ),
    CheckInfo("documented_status", TOKEN_API, "the documented status: 200 not 201, 422 not 400"),
    CheckInfo("json_content_type", TOKEN_API, "every response is application/json"),
    CheckInfo("no_server_error", TOKEN_API, "no 5xx, ever"),
)

# Schemathesis's built-in checks (`--checks all`), described for the report.
BUILT_IN = (
    CheckInfo("not_a_server_error", SCHEMATHESIS, "no 5xx responses"),
    CheckInfo("status_code_conformance", SCHEMATHESIS, "status codes are documented"),
    CheckInfo("content_type_conformance", SCHEMATHESIS, "Content-Type is documented"),
    CheckInfo("response_headers_conformance", SCHEMATHESIS, "response headers match their schemas"),
    CheckInfo("response_schema_conformance", SCHEMATHESIS, "response bodies match their schemas"),
    CheckInfo("negative_data_rejection", SCHEMATHESIS, "schema-invalid requests are refused"),
    CheckInfo("positive_data_acceptance", SCHEMATHESIS, "schema-valid requests are accepted"),
    CheckInfo("missing_required_header", SCHEMATHESIS, "a missing required header is refused"),
    CheckInfo("unsupported_method", SCHEMATHESIS, "undocumented methods get 405 with Allow"),
    CheckInfo("allow_header_conformance", SCHEMATHESIS, "OPTIONS lists the documented methods"),
    CheckInfo("use_after_free", SCHEMATHESIS, "deleted resources stay gone"),
    CheckInfo("ensure_resource_availability", SCHEMATHESIS, "created resources are available"),
    CheckInfo("ignored_auth", SCHEMATHESIS, "declared authentication is enforced"),
    CheckInfo(
        "object_level_authorization", SCHEMATHESIS, "one identity cannot read another's objects"
    ),
    CheckInfo("max_response_time", SCHEMATHESIS, "responses arrive within a time limit"),
)

# Checks Schemathesis reports as passed although nothing was checked: the report says so instead.
NOT_CONFIGURED = {
    "max_response_time": "no response-time limit is set (Schemathesis checks it only with one)",
}

# Listed only when it happened: requests that got no answer Schemathesis could judge.
ERRORS = CheckInfo("schemathesis_errors", SCHEMATHESIS, "every request got an answer to judge")

ALL = API_RULES + BUILT_IN
BY_NAME = {info.name: info for info in (*ALL, ERRORS)}
API_RULE_NAMES = tuple(info.name for info in API_RULES)


def info(name: str) -> CheckInfo:
    """A check Schemathesis reports that this catalogue does not know is still listed."""
    return BY_NAME.get(name) or CheckInfo(name, SCHEMATHESIS, "a Schemathesis check")
