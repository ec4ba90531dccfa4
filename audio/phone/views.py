"""The phone line for hosted providers (Twilio, Telnyx TeXML, SignalWire): TwiML webhooks.

The provider POSTs when a call comes in (``/telefono/voz/``, or
``/telefono/voz/<language>/`` for a number that belongs to one language) and
after each key or silence (``/telefono/paso/?<menu.State.to_query()>``, with
``Digits`` in the body, or ``evento=timeout`` when the caller pressed nothing).
Each answer plays the turn's sounds inside a ``<Gather>`` (so a key interrupts
them) and then redirects back here with ``evento=timeout``; the menu itself is
``menu.step``, what can be heard ``lines.current_line``.

Thin and private: every request must carry a valid ``X-Twilio-Signature`` for
``ALTAVOZ_PHONE_AUTH_TOKEN`` (else 403; with no token the line is off: 404).
Nothing of the request is stored or logged: the provider sends the caller's
number (``From``, ``Caller``) and it is never read; error reports hide every
POST parameter and local variable. No session, no cookie.
"""

from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseForbidden
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_POST
from twilio.request_validator import (
    SIGNATURE_HEADER,
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
    get_signature_algorithm,
)
from twilio.twiml.voice_response import VoiceResponse

from . import lines, menu

TIMEOUT_EVENT = "timeout"
SIGNALWIRE_SIGNATURE_HEADER = "X-SignalWire-Signature"


def phone_webhook(view):
    """POST only, CSRF exempt (the signature is the proof), nothing sensitive in reports."""
    return csrf_exempt(require_POST(sensitive_post_parameters()(view)))


@phone_webhook
@sensitive_variables()
def call(request, language=""):
    """A call comes in: the greeting and the first menu."""
    origin = _signed_origin(request)
    if origin is None:
        return HttpResponseForbidden()
    return _answer(origin, menu.start(lines.current_line(), language))


@phone_webhook
@sensitive_variables()
def step(request):
    """A key or a silence in the menu the query names."""
    origin = _signed_origin(request)
    if origin is None:
        return HttpResponseForbidden()
    line = lines.current_line()
    state = menu.State.from_query(request.GET.dict())
    if state is None:  # not a URL we wrote: start over
        return _answer(origin, menu.start(line))
    return _answer(origin, menu.step(line, state, _event(request)))


def _event(request) -> str:
    digits = request.POST.get("Digits", "")
    if digits:
        return digits[:1]
    return menu.TIMEOUT  # a redirect after the Gather (evento=timeout), or nothing pressed


def _signed_origin(request) -> str | None:
    """The origin (scheme://host) the provider called, or None when the signature is wrong.

    The signature covers the full URL the provider requested: ours as
    ``ALTAVOZ_BASE_URL`` says, or as this request arrived (the proxy's scheme
    header respected, ``SECURE_PROXY_SSL_HEADER``).
    """
    token = settings.ALTAVOZ_PHONE_AUTH_TOKEN
    if not token:
        raise Http404  # the line is off
    # SignalWire signs the same way with its project's signing key, and may name the header
    # after itself.
    signature = request.headers.get(SIGNATURE_HEADER) or request.headers.get(
        SIGNALWIRE_SIGNATURE_HEADER, ""
    )
    algorithm = get_signature_algorithm(request.headers.get(SIGNATURE_SETTINGS_HEADER, ""))
    validator = RequestValidator(token)
    for origin in _origins(request):
        if signature and validator.validate(
            origin + request.get_full_path(), request.POST, signature, algorithm
        ):
            return origin
    return None


def _origins(request) -> list[str]:
    base = urlsplit(settings.WAGTAILADMIN_BASE_URL)
    configured = f"{base.scheme}://{base.netloc}"
    arrived = request.build_absolute_uri("/").rstrip("/")
    return [configured] if arrived == configured else [configured, arrived]


def _answer(origin: str, turn: menu.Turn) -> HttpResponse:
    """The turn as TwiML: its sounds (a key interrupts them), then a hang-up or a wait."""
    if turn.heard is not None:
        lines.count_heard(turn.heard)
    response = VoiceResponse()
    urls = [url for url in (_play_url(origin, sound) for sound in turn.play) if url]
    if turn.hang_up:
        for url in urls:
            response.play(url)
        response.hangup()
        return _twiml(response)
    query = turn.state.to_query()
    gather = response.gather(
        input="dtmf",
        num_digits=1,
        finish_on_key="",  # "#" is a key of ours (hang up), not the end of the input
        timeout=settings.ALTAVOZ_PHONE_KEY_TIMEOUT_SECONDS,
        action=_step_url(origin, query),
        method="POST",
    )
    for url in urls:
        gather.play(url)
    response.redirect(_step_url(origin, query | {"evento": TIMEOUT_EVENT}), method="POST")
    return _twiml(response)


def _play_url(origin: str, sound: menu.Sound) -> str | None:
    name = lines.sound_file(sound, settings.ALTAVOZ_PHONE_PLAY_VARIANT)
    return f"{origin}{settings.MEDIA_URL}{name}" if name else None


def _step_url(origin: str, query: dict[str, str]) -> str:
    return f"{origin}{reverse('phone_step')}?{urlencode(query)}"


def _twiml(response: VoiceResponse) -> HttpResponse:
    answer = HttpResponse(str(response), content_type="text/xml; charset=utf-8")
    answer["Cache-Control"] = "no-store"
    return answer
