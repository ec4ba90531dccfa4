"""The TwiML webhooks driven as a provider would: signed POSTs with Digits."""

import pytest

from audio.phone.models import PhoneListen

from .conftest import give_phone_audio
from .twiml import TOKEN, press, signed_post, wait


@pytest.fixture
def line_on(settings):
    settings.ALTAVOZ_PHONE_AUTH_TOKEN = TOKEN
    settings.ALTAVOZ_PHONE_LANGUAGES = ["es"]
    return settings


@pytest.fixture
def voiced(line_on, spanish_menu, phone_guide):
    give_phone_audio(spanish_menu)
    give_phone_audio(phone_guide)
    return spanish_menu, phone_guide


def names(answer):
    """What each <Play> plays, as "<page id>-<section id>" (give_phone_audio's file names)."""
    files = [url.rsplit("/", 1)[1].removesuffix(".wav") for url in answer.plays]
    return [name.removesuffix("-phone-ulaw").removesuffix("-phone") for name in files]


def test_a_call_walks_from_the_greeting_into_a_guide_and_back_out(client, voiced):
    menu_page, guide = voiced
    m, g = menu_page.pk, guide.pk
    answer = signed_post(client, "/telefono/voz/")
    assert answer.status == 200
    assert names(answer) == [f"{m}-greeting", f"{m}-entry-1", f"{m}-guide-list-help"]
    gather = answer.gather
    assert (gather.get("input"), gather.get("numDigits"), gather.get("method")) == (
        "dtmf",
        "1",
        "POST",
    )
    assert gather.get("finishOnKey") == ""  # "#" must reach us: it is the quick exit
    assert "evento=timeout" in answer.timeout_url()

    answer = press(client, answer, "1")
    assert names(answer) == [f"{g}-intro", f"{m}-section-help"]
    answer = press(client, answer, "1")  # next
    first_section = names(answer)[0]
    assert first_section.startswith(f"{g}-") and first_section != f"{g}-intro"
    answer = press(client, answer, "3")  # previous
    assert names(answer)[0] == f"{g}-intro"
    answer = press(client, answer, "2")  # repeat
    assert names(answer)[0] == f"{g}-intro"
    answer = press(client, answer, "0")  # back to the guide list
    assert names(answer) == [f"{m}-entry-1", f"{m}-guide-list-help"]
    answer = press(client, answer, "*")  # main menu
    assert names(answer)[0] == f"{m}-greeting"
    answer = press(client, answer, "#")  # quick exit
    assert answer.hangs_up and answer.plays == [] and answer.gather is None


def test_every_play_url_is_on_our_origin_in_the_configured_variant(client, voiced, settings):
    answer = signed_post(client, "/telefono/voz/")
    assert answer.plays
    for url in answer.plays:
        assert url.startswith(settings.WAGTAILADMIN_BASE_URL.rstrip("/") + "/media/audio/phone/")
        assert url.endswith("-phone-ulaw.wav")
    settings.ALTAVOZ_PHONE_PLAY_VARIANT = "phone"
    answer = signed_post(client, "/telefono/voz/")
    assert all(url.endswith("-phone.wav") for url in answer.plays)


def test_sections_heard_are_counted_once_per_turn(client, voiced):
    _menu, guide = voiced
    answer = press(client, signed_post(client, "/telefono/voz/"), "1")
    answer = press(client, answer, "2")  # repeat: heard again
    press(client, answer, "1")
    counts = dict(PhoneListen.objects.filter(page=guide).values_list("section_id", "count"))
    assert counts["intro"] == 2 and sum(counts.values()) == 3


def test_three_silences_say_goodbye_and_hang_up(client, voiced):
    menu_page, _guide = voiced
    answer = signed_post(client, "/telefono/voz/")
    answer = wait(client, answer)
    assert names(answer) == [f"{menu_page.pk}-entry-1", f"{menu_page.pk}-guide-list-help"]
    answer = wait(client, answer)
    assert answer.gather is not None
    answer = wait(client, answer)
    assert answer.hangs_up and names(answer) == [f"{menu_page.pk}-goodbye"]


def test_an_unknown_key_says_so_and_repeats_the_menu(client, voiced):
    menu_page, _guide = voiced
    answer = press(client, signed_post(client, "/telefono/voz/"), "7")
    assert names(answer)[:2] == [f"{menu_page.pk}-invalid", f"{menu_page.pk}-entry-1"]


@pytest.mark.parametrize("signature", ["", "bm90IGEgc2lnbmF0dXJl"])
def test_unsigned_or_badly_signed_requests_are_refused(client, voiced, signature):
    answer = signed_post(client, "/telefono/voz/", signature=signature)
    assert answer.status == 403
    assert not PhoneListen.objects.exists()


def test_a_signature_made_with_another_token_is_refused(client, voiced):
    assert signed_post(client, "/telefono/voz/", token="otro-token").status == 403


def test_a_signature_over_other_parameters_is_refused(client, voiced, settings):
    from twilio.request_validator import RequestValidator

    from .twiml import CALLER

    url = settings.WAGTAILADMIN_BASE_URL.rstrip("/") + "/telefono/voz/"
    signature = RequestValidator(TOKEN).compute_signature(url, CALLER | {"Digits": "9"})
    assert signed_post(client, "/telefono/voz/", signature=signature).status == 403


def test_without_a_token_the_line_is_off(client, voiced, settings):
    settings.ALTAVOZ_PHONE_AUTH_TOKEN = ""
    assert signed_post(client, "/telefono/voz/").status == 404


def test_get_is_not_allowed_and_no_cookie_is_set(client, voiced):
    assert client.get("/telefono/voz/").status_code == 405
    answer = signed_post(client, "/telefono/voz/")
    assert not answer.response.cookies


def test_a_tampered_state_starts_over(client, voiced, settings):
    base = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
    answer = signed_post(client, f"{base}/telefono/paso/?m=nada&g=99", {"Digits": "1"})
    assert answer.status == 200 and names(answer)[0] == f"{voiced[0].pk}-greeting"


def test_behind_a_tls_proxy_the_https_url_the_provider_signed_is_checked(client, voiced, settings):
    """The provider signs https://<host>/…; the proxy passes plain HTTP with X-Forwarded-Proto."""
    from twilio.request_validator import RequestValidator

    from .twiml import CALLER

    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.WAGTAILADMIN_BASE_URL = "https://linea.example.org"
    settings.ALLOWED_HOSTS = ["testserver"]
    signature = RequestValidator(TOKEN).compute_signature(
        "https://testserver/telefono/voz/", CALLER
    )
    headers = {"HTTP_X_TWILIO_SIGNATURE": signature, "HTTP_HOST": "testserver"}
    plain = client.post("/telefono/voz/", CALLER, **headers)
    assert plain.status_code == 403  # as http://, the URL signed is not this one
    answer = client.post("/telefono/voz/", CALLER, HTTP_X_FORWARDED_PROTO="https", **headers)
    assert answer.status_code == 200
    assert b"https://testserver/media/audio/phone/" in answer.content  # our origin, as called


def test_a_number_for_a_language_not_ready_says_in_spanish_that_it_is_coming(
    client, voiced, settings
):
    menu_page, _guide = voiced
    settings.ALTAVOZ_PHONE_LANGUAGES = ["es", "cak"]
    answer = signed_post(client, "/telefono/voz/cak/")
    assert names(answer)[:2] == [f"{menu_page.pk}-greeting", f"{menu_page.pk}-coming-soon"]


def test_signalwire_names_the_signature_header_after_itself(client, voiced, settings):
    from twilio.request_validator import RequestValidator

    from .twiml import CALLER

    url = settings.WAGTAILADMIN_BASE_URL.rstrip("/") + "/telefono/voz/"
    signature = RequestValidator(TOKEN).compute_signature(url, CALLER)
    answer = client.post("/telefono/voz/", CALLER, HTTP_X_SIGNALWIRE_SIGNATURE=signature)
    assert answer.status_code == 200
    forged = client.post("/telefono/voz/", CALLER, HTTP_X_SIGNALWIRE_SIGNATURE="bm8=")
    assert forged.status_code == 403


# --- Telnyx TeXML: Ed25519 over "<timestamp>|<raw body>" -----------------------------------


@pytest.fixture
def telnyx(voiced, settings):
    """The line with only a Telnyx account's public key configured; yields its private key."""
    import base64

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    private = Ed25519PrivateKey.generate()
    public = private.public_key().public_bytes_raw()
    settings.ALTAVOZ_PHONE_AUTH_TOKEN = ""
    settings.ALTAVOZ_PHONE_TELNYX_PUBLIC_KEY = base64.b64encode(public).decode()
    return private


def telnyx_post(client, private, params=None, age=0, body_signed=None):
    import base64
    import time
    from urllib.parse import urlencode

    from .twiml import CALLER

    body = urlencode(CALLER | (params or {}))
    stamp = str(int(time.time()) - age)
    signed = f"{stamp}|{body_signed if body_signed is not None else body}".encode()
    return client.post(
        "/telefono/voz/",
        body,
        content_type="application/x-www-form-urlencoded",
        HTTP_TELNYX_SIGNATURE_ED25519=base64.b64encode(private.sign(signed)).decode(),
        HTTP_TELNYX_TIMESTAMP=stamp,
    )


def test_telnyx_requests_signed_with_the_accounts_key_are_answered(client, telnyx):
    answer = telnyx_post(client, telnyx)
    assert answer.status_code == 200
    assert b"<Gather" in answer.content and b"/media/audio/phone/" in answer.content


def test_telnyx_requests_forged_replayed_or_altered_are_refused(client, telnyx):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    assert telnyx_post(client, Ed25519PrivateKey.generate()).status_code == 403  # another key
    assert telnyx_post(client, telnyx, age=600).status_code == 403  # ten minutes old
    altered = telnyx_post(client, telnyx, {"Digits": "1"}, body_signed="From=%2B1")
    assert altered.status_code == 403
    assert not PhoneListen.objects.exists()


def test_a_twilio_signature_is_not_enough_when_only_telnyx_is_configured(client, telnyx):
    assert signed_post(client, "/telefono/voz/").status == 403
