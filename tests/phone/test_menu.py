"""The menu state machine (audio.phone.menu), pure: every key in every menu."""

from dataclasses import replace

import pytest

from audio.phone.menu import (
    MAX_TIMEOUTS,
    TIMEOUT,
    Guide,
    Language,
    Menu,
    PhoneLine,
    Prompt,
    Sound,
    State,
    start,
    step,
)

ES_MENU, CAK_MENU, EN_MENU = 100, 200, 300


def prompts(page_id, without=()):
    return {p: Sound(page_id, p.value) for p in Prompt if p not in without}


def guide(digit, page_id, menu_page, sections=("intro", "a", "b")):
    return Guide(digit, page_id, Sound(menu_page, f"entry-{digit}"), tuple(sections))


def spanish(guides=None):
    guides = (guide(1, 1, ES_MENU), guide(2, 2, ES_MENU)) if guides is None else guides
    return Language("es", 1, prompts(ES_MENU), guides)


def kaqchikel(ready=False):
    if not ready:  # a prompt or two recorded, no guide yet
        return Language("cak", 2, {Prompt.GREETING: Sound(CAK_MENU, "greeting")}, ())
    return Language("cak", 2, prompts(CAK_MENU), (guide(1, 11, CAK_MENU),))


def english():
    return Language("en", 3, prompts(EN_MENU), (guide(1, 21, EN_MENU),))


def line(*languages):
    return PhoneLine(tuple(languages) or (spanish(), kaqchikel(), english()), "es")


def p(page_id, prompt):
    return Sound(page_id, prompt.value)


# --- Starting a call ---------------------------------------------------------------------


def test_a_call_hears_the_greeting_then_each_ready_language_and_that_kaqchikel_is_coming():
    turn = start(line())
    assert turn.state == State(Menu.LANGUAGES)
    assert turn.play == (
        p(ES_MENU, Prompt.GREETING),
        p(ES_MENU, Prompt.CHOOSE_LANGUAGE),
        p(EN_MENU, Prompt.CHOOSE_LANGUAGE),
        p(ES_MENU, Prompt.COMING_SOON),  # in Spanish: Kaqchikel has no voice of its own yet
    )
    assert not turn.hang_up and turn.heard is None


def test_once_kaqchikel_is_recorded_it_is_offered_in_its_own_voice():
    turn = start(line(spanish(), kaqchikel(ready=True), english()))
    assert p(CAK_MENU, Prompt.CHOOSE_LANGUAGE) in turn.play
    assert p(ES_MENU, Prompt.COMING_SOON) not in turn.play
    turn = step(line(spanish(), kaqchikel(ready=True)), turn.state, "2")
    assert turn.state == State(Menu.GUIDES, "cak")
    assert turn.play == (Sound(CAK_MENU, "entry-1"), p(CAK_MENU, Prompt.GUIDE_LIST_HELP))


def test_the_kaqchikel_number_says_in_spanish_that_it_is_coming():
    turn = start(line(), "cak")
    assert turn.play[:2] == (p(ES_MENU, Prompt.GREETING), p(ES_MENU, Prompt.COMING_SOON))
    assert turn.play.count(p(ES_MENU, Prompt.COMING_SOON)) == 1
    assert turn.state.menu is Menu.LANGUAGES


def test_a_number_for_one_ready_language_goes_straight_to_its_guides():
    turn = start(line(), "en")
    assert turn.state == State(Menu.GUIDES, "en", number="en")
    assert turn.play == (
        p(EN_MENU, Prompt.GREETING),
        Sound(EN_MENU, "entry-1"),
        p(EN_MENU, Prompt.GUIDE_LIST_HELP),
    )


def test_star_on_a_one_language_number_is_that_languages_main_menu():
    the_line = line()
    in_a_guide = step(the_line, start(the_line, "en").state, "1")
    assert in_a_guide.state == State(Menu.SECTION, "en", 1, 0, number="en")
    turn = step(the_line, in_a_guide.state, "*")
    assert turn == start(the_line, "en")
    assert turn.state == State(Menu.GUIDES, "en", number="en")
    # The all-language number's star is its greeting and language menu.
    assert step(the_line, replace(in_a_guide.state, number=""), "*") == start(the_line)


def test_the_kaqchikel_number_keeps_saying_it_is_coming_after_star():
    the_line = line()
    turn = step(the_line, start(the_line, "cak").state, "*")
    assert turn == start(the_line, "cak")
    assert turn.state.number == "cak"


def test_a_line_of_one_language_skips_the_language_menu():
    turn = start(line(spanish()))
    assert turn.state == State(Menu.GUIDES, "es")


def test_with_nothing_ready_the_call_ends_without_a_word():
    turn = start(line(spanish(guides=()), kaqchikel()))
    assert turn.hang_up and turn.play == ()


# --- The language menu -------------------------------------------------------------------


@pytest.mark.parametrize("key", list("0123456789*#"))
def test_every_key_in_the_language_menu(key):
    the_line = line()
    turn = step(the_line, State(Menu.LANGUAGES), key)
    if key == "1":
        assert turn.state == State(Menu.GUIDES, "es")
    elif key == "3":
        assert turn.state == State(Menu.GUIDES, "en")
    elif key == "2":  # Kaqchikel, not ready: said to be coming, the menu again
        assert turn.play[0] == p(ES_MENU, Prompt.COMING_SOON)
        assert turn.state == State(Menu.LANGUAGES)
    elif key == "*":
        assert turn == start(the_line)
    elif key == "#":
        assert turn.hang_up and turn.play == ()
    else:
        assert turn.play[0] == p(ES_MENU, Prompt.INVALID)
        assert turn.state == State(Menu.LANGUAGES)


# --- The guide list ----------------------------------------------------------------------


@pytest.mark.parametrize("key", list("0123456789*#"))
def test_every_key_in_the_guide_list(key):
    the_line = line()
    state = State(Menu.GUIDES, "es")
    turn = step(the_line, state, key)
    if key in "12":
        assert turn.state == State(Menu.SECTION, "es", int(key), 0)
        assert turn.play == (Sound(int(key), "intro"), p(ES_MENU, Prompt.SECTION_HELP))
        assert turn.heard == Sound(int(key), "intro")
    elif key == "0":  # back to the languages
        assert turn.state == State(Menu.LANGUAGES)
    elif key == "*":
        assert turn == start(the_line)
    elif key == "#":
        assert turn.hang_up and turn.play == ()
    else:
        assert turn.play[0] == p(ES_MENU, Prompt.INVALID)
        assert turn.state == state and turn.heard is None


def test_with_one_language_0_in_the_guide_list_is_not_a_way_back():
    turn = step(line(spanish()), State(Menu.GUIDES, "es"), "0")
    assert turn.play[0] == p(ES_MENU, Prompt.INVALID)


# --- Inside a guide ----------------------------------------------------------------------


@pytest.mark.parametrize("key", list("0123456789*#"))
def test_every_key_inside_a_guide(key):
    the_line = line()
    state = State(Menu.SECTION, "es", 1, 1)  # guide 1, its section "a"
    turn = step(the_line, state, key)
    expected_section = {"1": "b", "2": "a", "3": "intro"}
    if key in expected_section:
        section = Sound(1, expected_section[key])
        assert turn.play == (section, p(ES_MENU, Prompt.SECTION_HELP))
        assert turn.heard == section
    elif key == "0":
        assert turn.state == State(Menu.GUIDES, "es")
        assert turn.play[0] == Sound(ES_MENU, "entry-1")
    elif key == "*":
        assert turn == start(the_line)
    elif key == "#":
        assert turn.hang_up and turn.play == ()
    else:  # the keys again, not the section
        assert turn.play == (p(ES_MENU, Prompt.INVALID), p(ES_MENU, Prompt.SECTION_HELP))
        assert turn.state == state and turn.heard is None


def test_next_after_the_last_section_ends_the_guide_and_lists_the_guides():
    turn = step(line(), State(Menu.SECTION, "es", 1, 2), "1")
    assert turn.state == State(Menu.GUIDES, "es")
    assert turn.play[0] == p(ES_MENU, Prompt.END_OF_GUIDE)


def test_previous_on_the_first_section_says_it_again():
    turn = step(line(), State(Menu.SECTION, "es", 1, 0), "3")
    assert turn.heard == Sound(1, "intro")


def test_a_guide_withdrawn_mid_call_sends_the_caller_to_the_guide_list():
    the_line = line(spanish(guides=(guide(2, 2, ES_MENU),)), english())
    turn = step(the_line, State(Menu.SECTION, "es", 1, 1), "1")
    assert turn.state == State(Menu.GUIDES, "es") and turn.heard is None


def test_a_guide_that_lost_sections_mid_call_stays_in_range():
    shorter = spanish(guides=(guide(1, 1, ES_MENU, sections=("intro",)),))
    turn = step(line(shorter), State(Menu.SECTION, "es", 1, 5), "2")
    assert turn.heard == Sound(1, "intro")


def test_a_language_withdrawn_mid_call_starts_over():
    turn = step(line(spanish(), english()), State(Menu.GUIDES, "cak"), "1")
    assert turn == start(line(spanish(), english()))


# --- Silences ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "state",
    [State(Menu.LANGUAGES), State(Menu.GUIDES, "es"), State(Menu.SECTION, "es", 2, 1)],
)
def test_three_silences_in_any_menu_say_goodbye_and_hang_up(state):
    the_line = line()
    turn = step(the_line, state, TIMEOUT)
    assert not turn.hang_up and turn.state.timeouts == 1 and turn.heard is None
    for _ in range(MAX_TIMEOUTS - 1):
        turn = step(the_line, turn.state, TIMEOUT)
    assert turn.hang_up
    assert turn.play == (p(ES_MENU, Prompt.GOODBYE),)


def test_a_silence_repeats_the_menu_but_not_the_section():
    turn = step(line(), State(Menu.SECTION, "es", 1, 1), TIMEOUT)
    assert turn.play == (p(ES_MENU, Prompt.SECTION_HELP),)


def test_any_key_starts_the_silences_over_even_a_wrong_one():
    the_line = line()
    for state in (State(Menu.SECTION, "es", 1, 1, 2), State(Menu.GUIDES, "es", timeouts=2)):
        turn = step(the_line, state, "9")
        assert turn.state.timeouts == 0
        assert not step(the_line, turn.state, TIMEOUT).hang_up


def test_an_event_that_is_no_key_is_invalid():
    turn = step(line(), State(Menu.GUIDES, "es"), "A")
    assert turn.play[0] == p(ES_MENU, Prompt.INVALID)


# --- The state in a callback URL ---------------------------------------------------------


def test_a_state_survives_its_query():
    state = State(Menu.SECTION, "cak", 3, 4, 2, number="cak")
    assert State.from_query(state.to_query()) == state


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"m": "x"},
        {"m": "guides", "g": "9"},
        {"m": "guides", "t": "3"},
        {"m": "section", "s": "-1"},
    ],
)
def test_a_query_we_did_not_write_is_no_state(query):
    assert State.from_query(query) is None
