"""Driving the TwiML webhooks as a hosted provider does: signed POSTs, TwiML parsed."""

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from twilio.request_validator import RequestValidator

TOKEN = "token-de-prueba-0123456789abcdef"
CALLER = {"From": "+50255550123", "Caller": "+50255550123", "CallSid": "CA0123", "To": "+1"}


@dataclass
class Answer:
    status: int
    root: ET.Element | None
    response: object

    @property
    def plays(self):
        return [play.text for play in self.root.iter("Play")]

    @property
    def hangs_up(self):
        return self.root.find("Hangup") is not None

    @property
    def gather(self):
        return self.root.find("Gather")

    def action(self):
        return self.gather.get("action")

    def timeout_url(self):
        return self.root.find("Redirect").text


def signed_post(client, url, params=None, token=TOKEN, signature=None):
    """POST ``params`` (plus a caller's number, as providers send it) to ``url``, an absolute
    URL on ALTAVOZ_BASE_URL or a path, signed as the provider signs it."""
    if url.startswith("/"):
        url = settings.WAGTAILADMIN_BASE_URL.rstrip("/") + url
    data = CALLER | (params or {})
    headers = {}
    if signature is None:
        signature = RequestValidator(token).compute_signature(url, data)
    if signature:
        headers["HTTP_X_TWILIO_SIGNATURE"] = signature
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    response = client.post(path, data, **headers)
    root = ET.fromstring(response.content) if response.status_code == 200 else None
    return Answer(response.status_code, root, response)


def press(client, answer, key):
    """The caller presses ``key`` while ``answer``'s menu waits."""
    return signed_post(client, answer.action(), {"Digits": key})


def wait(client, answer):
    """The caller presses nothing: the provider follows the Redirect after the Gather."""
    return signed_post(client, answer.timeout_url(), {})
