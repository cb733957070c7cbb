"""The one error tree. Each class carries its OCPI status_code and HTTP status; only the web
middleware renders them (DESIGN.md decision 6).

HTTP statuses follow checklist §1.4: once a request has reached the OCPI layer with valid JSON the
HTTP status is 200 and the problem is in `status_code`; the exceptions the spec names (400 invalid
JSON, 401 authentication, 404 unknown objects, 405 credentials life cycle) are set here, and so
are the transport's own (408 a body that never arrives, 503 a database that cannot be reached).
"""

from __future__ import annotations

from typing import Any


class OcpiError(Exception):
    """Base of every error that reaches a peer as an OCPI envelope."""

    status_code: int = 3000
    http_status: int = 500
    default_message: str = "Generic server error"
    # Seconds a client should wait before trying again, sent as Retry-After when set.
    retry_after: int | None = None

    def __init__(self, message: str | None = None, *, data: Any = None) -> None:
        self.message = message or self.default_message
        self.data = data
        super().__init__(self.message)


class ClientError(OcpiError):
    status_code = 2000
    http_status = 200
    default_message = "Generic client error"


class InvalidJson(ClientError):
    http_status = 400
    default_message = "Request body is not valid JSON"


class RequestTimeout(ClientError):
    """The request body did not arrive within OCPI_HUB_READ_TIMEOUT: HTTP 408, and the
    connection is closed."""

    http_status = 408
    default_message = "Request body not received in time"


class InvalidParameters(ClientError):
    """2001: invalid or missing parameters, e.g. a spec-invalid object or URL id ≠ body id."""

    status_code = 2001
    default_message = "Invalid or missing parameters"


class NotEnoughInformation(ClientError):
    status_code = 2002
    default_message = "Not enough information"


class UnknownLocation(ClientError):
    """2003 with HTTP 404: the Location (or its EVSE/Connector) is not known here."""

    status_code = 2003
    http_status = 404
    default_message = "Unknown Location"


class UnknownCommandLocation(UnknownLocation):
    """2003 with HTTP 200: a command for an unknown Location; the commands endpoint exists,
    only the Location does not (checklist §1.4, §4.6)."""

    http_status = 200


class UnknownToken(ClientError):
    """2004 with HTTP 404: the spec's answer to authorizing an unknown Token (checklist §4.5,
    §7.3), used for every Token the hub does not hold."""

    status_code = 2004
    http_status = 404
    default_message = "Unknown Token"


class NotFound(ClientError):
    """A resource that does not exist (checklist §1.4: 404 SHOULD)."""

    http_status = 404
    default_message = "Not found"


class ForeignParty(InvalidParameters):
    """A client-owned-object URL naming a party that is not the caller's: HTTP 404 with 2001
    (checklist §1.7), so no party reads or changes another's objects."""

    http_status = 404
    default_message = "Not one of your parties"


class Unauthorized(ClientError):
    """Missing or unknown token, or token A used beyond versions/credentials: HTTP 401."""

    http_status = 401
    default_message = "Unauthorized"


class MethodNotAllowed(ClientError):
    """405: credentials POST when registered, PUT/DELETE when not; methods a module lacks."""

    http_status = 405
    default_message = "Method not allowed"


class ServerError(OcpiError):
    status_code = 3000
    http_status = 200


class DatabaseUnavailable(ServerError):
    """3000 with HTTP 503 and Retry-After: the database cannot be reached (an outage, a restart,
    no connection slot). Nothing was changed; the same request may be sent again later."""

    http_status = 503
    default_message = "The hub's database is unavailable; try again later"
    retry_after = 5


class AtConnectionLimit(ServerError):
    """3000 with HTTP 503: every connection the hub may hold is busy with a request; written
    by the server (web/server.py) to a connection it closes at once."""

    http_status = 503
    default_message = "The hub is at its connection limit; try again later"
    retry_after = 1


class ClientApiUnusable(ServerError):
    """3001: the hub could not use the other party's API (e.g. the credentials callback failed)."""

    status_code = 3001
    default_message = "Unable to use the client's API"


class UnsupportedVersion(ServerError):
    status_code = 3002
    default_message = "Unsupported version"


class MissingEndpoints(ServerError):
    status_code = 3003
    default_message = "No matching endpoints or expected endpoints missing"


class HubError(OcpiError):
    status_code = 4000
    http_status = 200
    default_message = "Generic hub error"


class UnknownReceiver(HubError):
    status_code = 4001
    default_message = "Unknown receiver"


class ForwardTimeout(HubError):
    status_code = 4002
    default_message = "Timeout on forwarded request"


class ReceiverNotConnected(HubError):
    status_code = 4003
    default_message = "Receiver not connected"
