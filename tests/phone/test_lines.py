"""What the phone line offers, from real pages (audio.phone.lines)."""

from datetime import date

import pytest
from wagtail.models import Locale

from audio.models import PhoneAudio
from audio.phone import lines, menu
from audio.phone.models import PhoneListen
from tests.concurrency import at_once

from .conftest import give_phone_audio


def test_a_public_menu_and_guide_with_phone_audio_make_a_ready_spanish_line(
    settings, spanish_menu, phone_guide
):
    settings.ALTAVOZ_PHONE_LANGUAGES = ["es"]
    give_phone_audio(spanish_menu)
    give_phone_audio(phone_guide)
    line = lines.current_line()
    spanish = line.language("es")
    assert spanish.ready
    assert set(spanish.prompts) == set(menu.Prompt)
    (guide,) = spanish.guides
    assert guide.page_id == phone_guide.pk and guide.digit == 1
    assert guide.entry == menu.Sound(spanish_menu.pk, "entry-1")
    assert guide.sections[0] == "intro" and len(guide.sections) == 3


def test_a_guide_missing_one_sections_phone_audio_is_not_offered(
    settings, spanish_menu, phone_guide
):
    settings.ALTAVOZ_PHONE_LANGUAGES = ["es"]
    give_phone_audio(spanish_menu)
    give_phone_audio(phone_guide, skip=("intro",))
    assert lines.current_line().language("es").guides == ()


def test_sound_file_names_the_live_file_of_that_variant(spanish_menu):
    give_phone_audio(spanish_menu, variants=("phone-ulaw",))
    sound = menu.Sound(spanish_menu.pk, "greeting")
    assert (
        lines.sound_file(sound, "phone-ulaw")
        == f"audio/phone/{spanish_menu.pk}-greeting-phone-ulaw.wav"
    )
    assert lines.sound_file(sound, "phone") is None


def test_count_heard_adds_one_per_call_per_day(phone_guide):
    sound = menu.Sound(phone_guide.pk, "intro")
    lines.count_heard(sound, today=date(2026, 12, 1))
    lines.count_heard(sound, today=date(2026, 12, 1))
    lines.count_heard(sound, today=date(2026, 12, 2))
    counts = dict(PhoneListen.objects.filter(page=phone_guide).values_list("day", "count"))
    assert counts == {date(2026, 12, 1): 2, date(2026, 12, 2): 1}


@pytest.mark.django_db(transaction=True)
def test_calls_counting_the_same_section_at_once_lose_nothing(phone_guide):
    """Eight SIP processes (or web workers) counting one section at once, the day's first
    listen included: the race between two first inserts becomes an update."""
    sound = menu.Sound(phone_guide.pk, "intro")
    callers, each = 8, 25

    def count():
        for _ in range(each):
            lines.count_heard(sound, today=date(2026, 12, 1))

    at_once(count, callers)
    assert PhoneListen.objects.get(page=phone_guide).count == callers * each


# --- The visibility rule -----------------------------------------------------------------


def hide(page, how):
    from datetime import timedelta

    from django.utils import timezone
    from wagtail.models import PageViewRestriction

    if how == "unpublished":
        page.unpublish()
    elif how == "private":
        PageViewRestriction.objects.create(page=page, restriction_type="login")
    elif how == "expired":
        type(page).objects.filter(pk=page.pk).update(
            expire_at=timezone.now() - timedelta(minutes=1)
        )


@pytest.fixture
def spanish_line(settings, spanish_menu, phone_guide):
    settings.ALTAVOZ_PHONE_LANGUAGES = ["es"]
    give_phone_audio(spanish_menu)
    give_phone_audio(phone_guide)
    assert lines.current_line().language("es").ready
    return spanish_menu, phone_guide


@pytest.mark.parametrize("how", ["unpublished", "private", "expired"])
def test_a_guide_the_public_may_not_see_is_not_on_the_phone(spanish_line, how):
    _menu, guide = spanish_line
    rows = PhoneAudio.objects.filter(page=guide).count()
    hide(guide, how)
    PhoneAudio.objects.filter(page=guide).update(state="live")  # even with its files still live
    assert PhoneAudio.objects.filter(page=guide, state="live").count() == rows
    assert lines.current_line().language("es").guides == ()


@pytest.mark.parametrize("how", ["unpublished", "private", "expired"])
def test_a_menu_the_public_may_not_see_says_nothing(spanish_line, how):
    menu_page, _guide = spanish_line
    hide(menu_page, how)
    PhoneAudio.objects.filter(page=menu_page).update(state="live")
    language = lines.current_line().language("es")
    assert language.prompts == {} and not language.ready


def translate(page, language, django_capture_on_commit_callbacks):
    from cms.localization import submit_translation

    with django_capture_on_commit_callbacks(execute=True):
        submit_translation(page, language)
    return page.get_translation(Locale.objects.get(language_code=language)).specific


def fill(page, language, django_capture_on_commit_callbacks):
    """Translate every string of ``page`` into ``language`` (as a PO upload) and publish."""
    from cms.localization import fill_translation, translation_for

    translation = translation_for(page, language)
    strings = {entry.msgid: f"[{language}] {entry.msgid}" for entry in translation.export_po()}
    with django_capture_on_commit_callbacks(execute=True):  # wagtail-localize publishes then
        fill_translation(translation, strings)


def test_an_english_translation_shown_in_spanish_is_not_offered_until_translated(
    settings, spanish_line, django_capture_on_commit_callbacks
):
    menu_page, guide = spanish_line
    settings.ALTAVOZ_PHONE_LANGUAGES = ["es", "en"]
    english_guide = translate(guide, "en", django_capture_on_commit_callbacks)
    english_menu = translate(menu_page, "en", django_capture_on_commit_callbacks)
    give_phone_audio(english_guide)
    give_phone_audio(english_menu)
    english = lines.current_line().language("en")
    assert english.prompts == {} and english.guides == ()  # Spanish words, never as English

    fill(guide, "en", django_capture_on_commit_callbacks)
    fill(menu_page, "en", django_capture_on_commit_callbacks)
    english = lines.current_line().language("en")
    assert english.ready
    assert [g.page_id for g in english.guides] == [english_guide.pk]
    assert english.prompts[menu.Prompt.GREETING].page_id == english_menu.pk


def test_kaqchikel_is_offered_once_its_own_recordings_exist(
    settings, spanish_line, django_capture_on_commit_callbacks
):
    menu_page, guide = spanish_line
    settings.ALTAVOZ_PHONE_LANGUAGES = ["es", "cak"]
    kaqchikel_guide = translate(guide, "cak", django_capture_on_commit_callbacks)
    kaqchikel_menu = translate(menu_page, "cak", django_capture_on_commit_callbacks)
    line = lines.current_line()
    assert not line.language("cak").ready  # the Spanish audio is not offered in its place
    assert line.language("cak").guides == ()

    give_phone_audio(kaqchikel_menu)  # its prompts recorded: files of its own
    assert lines.current_line().language("cak").guides == ()
    give_phone_audio(kaqchikel_guide)
    kaqchikel = lines.current_line().language("cak")
    assert kaqchikel.ready
    assert [g.page_id for g in kaqchikel.guides] == [kaqchikel_guide.pk]


def test_building_the_line_takes_a_bounded_number_of_queries(
    settings, spanish_line, django_assert_max_num_queries
):
    from tests.audio.fixtures import publish_guide, section_value

    from .conftest import publish_menu

    menu_page, guide = spanish_line
    settings.ALTAVOZ_PHONE_LANGUAGES = ["es", "cak", "en"]
    with django_assert_max_num_queries(13):
        lines.current_line()
    more = [
        publish_guide(f"otra-{n}", [section_value(f"Parte {n}", "<p>Texto.</p>")]) for n in range(5)
    ]
    for page in more:
        give_phone_audio(page)
    menu_page.delete()
    menu_page = publish_menu(
        guides=[(guide, "Marque 1.")] + [(page, f"Marque {n}.") for n, page in enumerate(more, 2)]
    )
    give_phone_audio(menu_page)
    with django_assert_max_num_queries(13):
        line = lines.current_line()
    assert len(line.language("es").guides) == 6
