"""Hear before publishing (issue #14, part 1): "Escuchar" on a draft's sections and on the lexicon.

Editors hear a section as publishing would read it (same normalizer, lexicon, voice
and clip cache), before saving or publishing; nobody else hears anything.
"""

import json
from urllib.parse import unquote

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from wagtail.admin.rich_text.converters.contentstate import ContentstateConverter
from wagtail.models import Locale

from audio.jobs import run_job
from audio.models import PronunciationEntry, SectionClip
from audio.text import speech_sections, spoken_form
from cms.accounts.groups import setup_groups
from cms.blocks import SECTION_BODY_FEATURES
from tests.signing_in import sign_in

from .fake_google import decoded_seconds
from .fixtures import edit_section, make_audio_file

pytestmark = pytest.mark.django_db
FIRST = "11111111-1111-4111-8111-111111111111"
THIRD = "33333333-3333-4333-8333-333333333333"
NEW_BODY = "<p>Ahora también en la clínica del mercado. Abre a las 8:30.</p>"


def member_of(group_name):
    """A signed-in client of a new account in one of the groups `manage.py setup_groups` makes."""
    setup_groups()
    user = get_user_model().objects.create_user(f"u{Group.objects.count()}-{group_name[:5]}")
    user.groups.add(Group.objects.get(name=group_name))
    return sign_in(Client(), user)


def listen_url(page):
    return reverse("altavoz_audio:listen_draft", args=[page.pk])


def form_fields(heading, body_html, key_point=""):
    """A section's fields as the page editor holds them (the body as Draftail's contentstate)."""
    return {
        "section-heading": heading,
        "section-body": ContentstateConverter(SECTION_BODY_FEATURES).from_database_format(
            body_html
        ),
        "section-key_point": key_point,
        "section-pictogram": "",
    }


def error_of(response):
    assert response["Content-Type"] == "application/json"
    return json.loads(response.content)["error"]


def assert_not_stored(response):
    """Private and no-store (the admin adds its never-cache directives to ours)."""
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= directives, response["Cache-Control"]


def assert_is_audio(response):
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "audio/mpeg"
    assert_not_stored(response)
    assert decoded_seconds(response.content) > 0.2  # a single word is short


def test_anonymous_visitors_hear_nothing(client, small_guide, synth_calls):
    response = client.post(listen_url(small_guide), {"section": FIRST})
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert synth_calls == []


@pytest.mark.parametrize("group", ["Traductores (en)", "Traductores (cak)", "Emisoras de radio"])
def test_accounts_that_cannot_edit_the_page_hear_nothing(group, small_guide, synth_calls):
    """A translator may edit her locale's guides, not the Spanish ones; a station edits none."""
    response = member_of(group).post(listen_url(small_guide), {"section": FIRST})
    assert response.status_code in (302, 403)
    assert not response.get("Content-Type", "").startswith("audio/")
    assert synth_calls == []


def test_an_editor_hears_the_latest_saved_draft(small_guide, synth_calls):
    """Saved, not published: the live page still says the old text; the editor hears the new."""
    raw = small_guide.sections.get_prep_value()
    raw[0]["value"]["body"] = NEW_BODY
    small_guide.sections = raw
    small_guide.save_revision()  # a draft only

    response = member_of("Editores").post(listen_url(small_guide), {"section": FIRST})
    assert_is_audio(response)
    assert response["X-Altavoz-Voice"].startswith("espeak ")
    assert "mercado" in " ".join(synth_calls)
    assert "ocho y treinta" in unquote(response["X-Altavoz-Spoken"])  # through the normalizer


def test_an_editor_hears_the_unsaved_form(admin_client, small_guide, synth_calls):
    fields = form_fields("¿Dónde hay condones?", NEW_BODY, key_point="Pida sin pena.")
    response = admin_client.post(listen_url(small_guide), {"section": FIRST, **fields})
    assert_is_audio(response)
    said = " ".join(synth_calls)
    assert "mercado" in said and "Pida sin pena" in said

    intro = admin_client.post(
        listen_url(small_guide), {"section": "intro", "title": "Guía nueva", "summary": "Breve."}
    )
    assert_is_audio(intro)
    assert "Guía nueva." in synth_calls


def test_a_previewed_section_is_not_synthesized_again_when_published(
    admin_client, small_guide, synth_calls
):
    run_job(small_guide.pk)  # every section of the published guide is in the clip cache
    response = admin_client.post(
        listen_url(small_guide), {"section": THIRD, **form_fields("¿Y la PrEP?", NEW_BODY)}
    )
    assert_is_audio(response)
    assert response["X-Altavoz-Clip"] == "synthesized"
    heard = len(synth_calls)
    assert heard > 0

    again = admin_client.post(
        listen_url(small_guide), {"section": THIRD, **form_fields("¿Y la PrEP?", NEW_BODY)}
    )
    assert_is_audio(again)
    assert again["X-Altavoz-Clip"] == "cached" and len(synth_calls) == heard

    edit_section(small_guide, 2, NEW_BODY)
    summary = run_job(small_guide.pk)
    assert summary["published"], summary
    assert len(synth_calls) == heard, synth_calls[heard:]  # the publish found the clip


def test_kaqchikel_plays_its_recording_or_says_there_is_none(
    admin_client, kaqchikel_guide, synth_calls
):
    missing = admin_client.post(listen_url(kaqchikel_guide), {"section": FIRST})
    assert missing.status_code == 404
    assert "grabación" in error_of(missing)["message"]
    assert synth_calls == []  # no Spanish voice reads Kaqchikel

    admin_client.post(
        reverse("altavoz_audio:recordings", args=[kaqchikel_guide.pk]),
        {"section_id": FIRST, "audio": SimpleUploadedFile("toma.wav", make_audio_file(1.5))},
    )
    recorded = admin_client.post(listen_url(kaqchikel_guide), {"section": FIRST})
    assert_is_audio(recorded)
    assert recorded["X-Altavoz-Voice"] == "recorded human"
    assert synth_calls == []


def unreachable_google(settings, voices):
    """Google at an address where nothing listens: every request is refused at once."""
    settings.ALTAVOZ_VOICES = {**settings.ALTAVOZ_VOICES, "es": voices}
    settings.ALTAVOZ_ENGINE_OPTIONS = {
        **settings.ALTAVOZ_ENGINE_OPTIONS,
        "gtts": {"es": {"lang": "es", "tld": "com.mx", "endpoint": "http://127.0.0.1:9"}},
    }


def test_when_google_fails_the_offline_voice_reads_as_publishing_would(
    admin_client, small_guide, settings, synth_calls
):
    unreachable_google(settings, ["gtts", "espeak"])
    response = admin_client.post(listen_url(small_guide), {"section": FIRST})
    assert_is_audio(response)
    assert response["X-Altavoz-Voice"].startswith("espeak ")


def test_when_every_voice_fails_the_editor_gets_a_clear_message(
    admin_client, small_guide, settings
):
    unreachable_google(settings, ["gtts"])
    response = admin_client.post(listen_url(small_guide), {"section": FIRST})
    assert response.status_code == 503
    assert_not_stored(response)
    error = error_of(response)
    assert error["message"].startswith("No se pudo generar el audio")
    assert "gtts" in error["detail"]  # the engine's own words, folded away in the editor

    english = admin_client.post(
        listen_url(small_guide), {"section": FIRST}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert error_of(english)["message"].startswith("The audio could not be made")


def test_a_section_too_long_to_hear_here_is_refused_with_a_reason(
    admin_client, small_guide, synth_calls
):
    body = "".join(f"<p>Frase número {n} de una sección muy larga.</p>" for n in range(200))
    response = admin_client.post(
        listen_url(small_guide), {"section": FIRST, **form_fields("Larga", body)}
    )
    assert response.status_code == 413 and "demasiado larga" in error_of(response)["message"]
    assert synth_calls == []


def test_an_unknown_section_of_the_draft_is_a_clear_404(admin_client, small_guide):
    response = admin_client.post(listen_url(small_guide), {"section": "no-such-section"})
    assert response.status_code == 404 and error_of(response)["code"] == "no_section"


# --- The lexicon ---------------------------------------------------------------------------


def lexicon_url():
    return reverse("altavoz_audio:listen_lexicon")


def spanish():
    return Locale.objects.get(language_code="es")


def test_a_lexicon_entry_is_heard_before_it_is_saved(synth_calls):
    editor = member_of("Editores")
    response = editor.post(
        lexicon_url(), {"locale": spanish().pk, "written": "Xela", "spoken": "Shela"}
    )
    assert_is_audio(response)
    assert unquote(response["X-Altavoz-Spoken"]) == spoken_form("Xela", "es", {"Xela": "Shela"})
    assert "Shela" in " ".join(synth_calls)
    assert not PronunciationEntry.objects.filter(written="Xela").exists()  # nothing saved


def test_an_edited_lexicon_entry_is_heard_with_its_new_form_only(admin_client, synth_calls):
    entry = PronunciationEntry.objects.create(locale=spanish(), written="PrEP", spoken="prep")
    response = admin_client.post(
        lexicon_url(),
        {"locale": spanish().pk, "written": "PREP", "spoken": "pe erre e pe", "entry": entry.pk},
    )
    assert_is_audio(response)
    assert "pe erre e pe" in unquote(response["X-Altavoz-Spoken"])


def test_kaqchikel_entries_are_not_voiced_and_translators_cannot_try_entries(synth_calls):
    cak = Locale.objects.get(language_code="cak")
    editor = member_of("Editores")
    response = editor.post(lexicon_url(), {"locale": cak.pk, "written": "utz", "spoken": "uts"})
    assert response.status_code == 409 and "grabaciones" in error_of(response)["message"]

    translator = member_of("Traductores (en)")
    refused = translator.post(
        lexicon_url(), {"locale": spanish().pk, "written": "Xela", "spoken": "Shela"}
    )
    assert refused.status_code in (302, 403)
    assert synth_calls == []


def test_an_incomplete_entry_is_a_clear_400(admin_client):
    response = admin_client.post(lexicon_url(), {"locale": spanish().pk, "written": "Xela"})
    assert response.status_code == 400 and error_of(response)["code"] == "bad_entry"


# --- What the editor sees ------------------------------------------------------------------


def test_the_editors_get_the_listen_controls(admin_client, small_guide):
    editor_html = admin_client.get(
        reverse("wagtailadmin_pages:edit", args=[small_guide.pk])
    ).content.decode()
    assert "audio/admin/listen.js" in editor_html
    assert reverse("altavoz_audio:listen_draft", args=[0]) in editor_html
    lexicon_html = admin_client.get(
        reverse("wagtailsnippets_audio_pronunciationentry:add")
    ).content.decode()
    assert "data-altavoz-lexicon-listen" in lexicon_html
    assert lexicon_url() in lexicon_html


def test_clips_heard_before_publishing_are_ordinary_clips(admin_client, small_guide):
    """Kept in the one clip cache (and swept with it), never as a file the public can fetch."""
    before = SectionClip.objects.count()
    admin_client.post(listen_url(small_guide), {"section": FIRST})
    assert SectionClip.objects.count() == before + 1
    clip = SectionClip.objects.order_by("-created_at").first()
    (first,) = [s for s in speech_sections(small_guide) if s.id == FIRST]
    assert [span[0] for span in clip.sentence_spans] == list(range(len(first.sentences)))
    assert Client().get(clip.audio.url).status_code == 404
