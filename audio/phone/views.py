"""The phone line for hosted providers (Twilio, Telnyx TeXML, SignalWire): TwiML webhooks.

The provider POSTs when a call comes in (``/telefono/voz/``, or
``/telefono/voz/<language>/`` for a number that belongs to one language) and
after each key or silence (``/telefono/paso/?<menu.State.to_query()>``, with
``Digits`` in the body, or ``evento=timeout`` when the caller pressed nothing).
Each answer plays the turn's sounds inside a ``<Gather>`` (so a key interrupts
them) and then redirects back here with ``evento=timeout``; the menu itself is
``menu.step``, what can be heard ``lines.current_line``.

Thin and private: every request must carry its provider's valid signature
(``signatures``: Twilio's and SignalWire's HMAC, Telnyx's Ed25519; else 403; with
no token or key configured the line is off: 404).
Nothing of the request is stored or logged: the provider sends the caller's
number (``From``, ``Caller``) and it is never read; error reports hide every
POST parameter and local variable. No session, no cookie.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseForbidden
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_POST
from twilio.twiml.voice_response import VoiceResponse

from . import lines, menu, signatures

TIMEOUT_EVENT = "timeout"


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
    if not signatures.line_is_on():
        raise Http404  # no provider configured: the line is off
    return signatures.signed_origin(request)


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
