"""A GOV.UK Notify API on loopback for the tests: it checks what Notify checks and answers
as Notify does (https://docs.notifications.service.gov.uk/rest-api.html).

- Every request needs ``Authorization: Bearer <JWT>``: HS256, signed with the API key's
  secret, ``iss`` the service id, ``iat`` within 30 seconds of now (else 403 AuthError).
- ``POST /v2/notifications/sms``: a JSON object with ``phone_number`` (a UK mobile, as
  Notify reads one), ``template_id`` (a template it has), ``personalisation`` holding
  every placeholder of the template, an optional ``reference``, nothing else (else 400
  ValidationError); 201 with ``id``, ``reference``, ``content``, ``template`` and ``uri``.
- ``GET /v2/template/<id>``: the template, or 404.
- ``fail_next(status)`` makes the next requests answer 400, 403, 429 or 500 as Notify
  words them.  ``sent`` holds the texts Notify took; ``requests`` every request body.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt

ERRORS = {
    400: ("ValidationError", "phone_number Not a UK mobile number"),
    403: ("AuthError", "Invalid token: API key not found"),
    429: (
        "RateLimitError",
        "Exceeded rate limit for key type LIVE of 3000 requests per 60 seconds",
    ),
    500: ("Exception", "Internal server error"),
}
PLACEHOLDER = re.compile(r"\(\(([^)]+)\)\)")
SMS_FIELDS = {"phone_number", "template_id", "personalisation", "reference", "sms_sender_id"}
LONGEST_TEXT = 918


class NotifyError(Exception):
    def __init__(self, status: int, error: str, message: str):
        super().__init__(message)
        self.status, self.error, self.message = status, error, message


def uk_mobile(number: str) -> bool:
    """Notify's rule: after +44, 0044 or 0, ten digits starting 7 (spaces, dashes and
    brackets allowed)."""
    digits = re.sub(r"[\s().-]", "", number)
    for prefix in ("+44", "0044", "44", "0"):
        if digits.startswith(prefix):
            digits = digits[len(prefix) :]
            break
    else:
        return False
    return digits.isdigit() and len(digits) == 10 and digits.startswith("7")


@dataclass
class FakeNotify:
    service_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    secret: str = field(default_factory=lambda: str(uuid.uuid4()))
    template_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    template_body: str = "((body))"
    sent: list[dict] = field(default_factory=list)
    requests: list[dict] = field(default_factory=list)
    url: str = ""
    _failures: list[int] = field(default_factory=list)

    @property
    def api_key(self) -> str:
        return f"clinics_test-{self.service_id}-{self.secret}"

    def fail_next(self, *statuses: int) -> None:
        """The next requests answer these statuses, in order, instead of succeeding."""
        self._failures.extend(statuses)

    def reset(self) -> None:
        self.sent.clear()
        self.requests.clear()
        self._failures.clear()
        self.template_body = "((body))"

    # --- what Notify checks -------------------------------------------------------------

    def authorise(self, header: str | None) -> None:
        if not header or not header.startswith("Bearer "):
            raise NotifyError(
                401, "AuthError", "Unauthorized: authentication token must be provided"
            )
        token = header.removeprefix("Bearer ")
        try:
            claims = jwt.decode(
                token,
                self.secret,
                algorithms=["HS256"],
                options={"require": ["iss", "iat"], "verify_iat": False},
            )
        except jwt.InvalidTokenError as exc:
            raise NotifyError(403, "AuthError", f"Invalid token: {exc}") from exc
        if claims["iss"] != self.service_id:
            raise NotifyError(403, "AuthError", "Invalid token: service not found")
        if abs(time.time() - int(claims["iat"])) > 30:
            raise NotifyError(
                403,
                "AuthError",
                "Error: Your system clock must be accurate to within 30 seconds",
            )

    def forced_failure(self) -> None:
        if self._failures:
            status = self._failures.pop(0)
            error, message = ERRORS[status]
            raise NotifyError(status, error, message)

    def send_sms(self, body: object) -> dict:
        if not isinstance(body, dict):
            raise NotifyError(400, "ValidationError", "Invalid JSON supplied in POST data")
        extra = set(body) - SMS_FIELDS
        if extra:
            raise NotifyError(
                400,
                "ValidationError",
                "Additional properties are not allowed"
                f" ({', '.join(sorted(extra))} was unexpected)",
            )
        for name in ("phone_number", "template_id"):
            if not isinstance(body.get(name), str):
                raise NotifyError(400, "ValidationError", f"{name} is a required property")
        if body["template_id"] != self.template_id:
            raise NotifyError(400, "BadRequestError", "Template not found")
        personalisation = body.get("personalisation") or {}
        if not isinstance(personalisation, dict):
            raise NotifyError(400, "ValidationError", "personalisation is not of type object")
        missing = [n for n in PLACEHOLDER.findall(self.template_body) if n not in personalisation]
        if missing:
            raise NotifyError(
                400, "BadRequestError", f"Missing personalisation: {', '.join(missing)}"
            )
        reference = body.get("reference")
        if reference is not None and not isinstance(reference, str):
            raise NotifyError(400, "ValidationError", "reference is not of type string")
        if not uk_mobile(body["phone_number"]):
            raise NotifyError(400, "ValidationError", "phone_number Not a UK mobile number")
        content = PLACEHOLDER.sub(lambda m: str(personalisation[m[1]]), self.template_body)
        if len(content) > LONGEST_TEXT:
            raise NotifyError(
                400,
                "BadRequestError",
                f"Text messages cannot be longer than {LONGEST_TEXT} characters. "
                f"Your message is {len(content)} characters long.",
            )
        notification_id = str(uuid.uuid4())
        self.sent.append({**body, "id": notification_id, "content": content})
        return {
            "id": notification_id,
            "reference": reference,
            "content": {"body": content, "from_number": "GOVUK"},
            "uri": f"{self.url}/v2/notifications/{notification_id}",
            "template": {
                "id": self.template_id,
                "version": 1,
                "uri": f"{self.url}/services/{self.service_id}/templates/{self.template_id}",
            },
            "scheduled_for": None,
        }

    def template(self, template_id: str) -> dict:
        if template_id != self.template_id:
            raise NotifyError(404, "NoResultFound", "No result found")
        return {
            "id": self.template_id,
            "type": "sms",
            "name": "Clinic text",
            "version": 1,
            "body": self.template_body,
            "subject": None,
            "letter_contact_block": None,
        }


def _handler(fake: FakeNotify):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format, *args):
            pass  # quiet: the test's output stays readable

        def _answer(self, status: int, payload: dict) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _error(self, exc: NotifyError) -> None:
            self._answer(
                exc.status,
                {
                    "status_code": exc.status,
                    "errors": [{"error": exc.error, "message": exc.message}],
                },
            )

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            try:
                body = json.loads(raw or b"null")
            except ValueError:
                body = None
            fake.requests.append({"path": self.path, "body": body})
            try:
                fake.authorise(self.headers.get("Authorization"))
                if self.path != "/v2/notifications/sms":
                    raise NotifyError(404, "NotFound", "Not found")
                if self.headers.get_content_type() != "application/json":
                    raise NotifyError(400, "ValidationError", "Content-Type must be JSON")
                fake.forced_failure()
                self._answer(201, fake.send_sms(body))
            except NotifyError as exc:
                self._error(exc)

        def do_GET(self):
            fake.requests.append({"path": self.path, "body": None})
            try:
                fake.authorise(self.headers.get("Authorization"))
                fake.forced_failure()
                match = re.fullmatch(r"/v2/template/([^/?]+)", self.path)
                if not match:
                    raise NotifyError(404, "NotFound", "Not found")
                self._answer(200, fake.template(match[1]))
            except NotifyError as exc:
                self._error(exc)

    return Handler


class FakeNotifyServer:
    """The fake on a free loopback port, in a thread, for a whole test session."""

    def __init__(self):
        self.fake = FakeNotify()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.fake))
        self.fake.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeNotify:
        self.thread.start()
        return self.fake

    def __exit__(self, *exc_info) -> None:
        self.server.shutdown()
        self.server.server_close()
