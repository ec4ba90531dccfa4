"""What the phone line offers, from real pages (audio.phone.lines)."""

from datetime import date

from audio.phone import lines, menu
from audio.phone.models import PhoneListen

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
