"""The phone line's menu: one state machine that both front ends drive.

Pure: no database, no files, no clock. A ``PhoneLine`` (built for each step of a
call from what is public at that moment, ``audio.phone.lines``) says which
languages, guides and sections can be heard and which prompts each language has.
``start`` and ``step`` answer what to play next and which state then waits for
the caller's key. The hosted front end (TwiML) carries the state in its callback
URLs (``State.to_query`` / ``State.from_query``); the SIP front end keeps it in
memory.

Every sound is a section of a page's phone audio: a guide's section, or a prompt,
which is a section of the language's phone menu page (``Sound``). So one lookup
turns any sound into a file, and prompts are voiced, recorded and withdrawn
exactly as guides are.

Keys, the same in every menu so callers learn them once:

- in the language menu, the language's digit; in the guide list, the guide's (1-8);
- in a guide: 1 next section, 2 repeat, 3 previous, 0 back to the guide list;
- everywhere: * main menu (the top of the number called: a one-language number's guide
  list, else the greeting and language menu), # hang up at once (quick exit).

A timeout repeats the menu's prompt; the third in a row says goodbye and hangs up.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum

NEXT, REPEAT, PREVIOUS, BACK, MAIN_MENU, HANG_UP = "1", "2", "3", "0", "*", "#"
KEYS = frozenset("0123456789*#")
MAX_GUIDES = 8
MAX_TIMEOUTS = 3
TIMEOUT = "timeout"  # the event when the caller pressed nothing in time


class Prompt(StrEnum):
    """What each language's phone menu page says besides its guide entries."""

    GREETING = "greeting"  # welcome, and that no number is kept
    CHOOSE_LANGUAGE = "choose-language"  # "for Spanish, press 1", said in the language itself
    GUIDE_LIST_HELP = "guide-list-help"  # after the entries: 0, * and #
    SECTION_HELP = "section-help"  # after each section: 1, 2, 3, 0, * and #
    END_OF_GUIDE = "end-of-guide"
    INVALID = "invalid"  # that key is not in this menu
    GOODBYE = "goodbye"  # after the last timeout
    COMING_SOON = "coming-soon"  # the source language's word that a language is on its way


# A language is offered once all of these have audio (Kaqchikel: once recorded).
REQUIRED_PROMPTS = frozenset(Prompt) - {Prompt.COMING_SOON}


class Menu(StrEnum):
    LANGUAGES = "languages"
    GUIDES = "guides"
    SECTION = "section"


@dataclass(frozen=True)
class Sound:
    """One section of one page's phone audio."""

    page_id: int
    section_id: str


@dataclass(frozen=True)
class Guide:
    digit: int
    page_id: int
    entry: Sound  # "for ..., press 3", a section of the menu page
    sections: tuple[str, ...]  # the guide's section ids in reading order, each with audio


@dataclass(frozen=True)
class Language:
    code: str
    digit: int
    prompts: Mapping[Prompt, Sound]  # only prompts that have audio
    guides: tuple[Guide, ...]  # only guides whose every section has audio

    @property
    def ready(self) -> bool:
        return bool(self.guides) and REQUIRED_PROMPTS <= set(self.prompts)

    def guide(self, digit: int) -> Guide | None:
        return next((g for g in self.guides if g.digit == digit), None)


@dataclass(frozen=True)
class PhoneLine:
    """What can be heard now. ``source`` (Spanish) speaks for languages not ready yet."""

    languages: tuple[Language, ...]
    source: str

    def language(self, code: str) -> Language | None:
        return next((lang for lang in self.languages if lang.code == code), None)

    @property
    def ready(self) -> tuple[Language, ...]:
        return tuple(lang for lang in self.languages if lang.ready)

    @property
    def speaker(self) -> Language | None:
        """Whose prompts the language menu uses: the source's, else the first ready one's."""
        source = self.language(self.source)
        return source if source is not None and source.ready else next(iter(self.ready), None)


@dataclass(frozen=True)
class State:
    menu: Menu
    language: str = ""
    guide: int = 0  # the guide's digit
    section: int = 0  # index in the guide's sections
    timeouts: int = 0
    number: str = ""  # the language of the number called; "" for the all-language number

    def to_query(self) -> dict[str, str]:
        return {
            "m": self.menu.value,
            "l": self.language,
            "g": str(self.guide),
            "s": str(self.section),
            "t": str(self.timeouts),
            "n": self.number,
        }

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> State | None:
        """The state a callback URL carries, or None when it is not one we wrote."""
        try:
            state = cls(
                Menu(query["m"]),
                str(query.get("l", ""))[:12],
                int(query.get("g", 0)),
                int(query.get("s", 0)),
                int(query.get("t", 0)),
                str(query.get("n", ""))[:12],
            )
        except (KeyError, ValueError):
            return None
        numbers_in_range = (
            0 <= state.guide <= MAX_GUIDES
            and 0 <= state.section < 10_000
            and 0 <= state.timeouts < MAX_TIMEOUTS
        )
        return state if numbers_in_range else None


@dataclass(frozen=True)
class Turn:
    """What to do now: play these sounds, then hang up or wait for a key in ``state``.

    ``heard`` is the guide section this turn starts, for the daily counts.
    """

    state: State
    play: tuple[Sound, ...]
    hang_up: bool = False
    heard: Sound | None = None


def start(line: PhoneLine, language: str = "") -> Turn:
    """A new call: the greeting, then the language menu (or the guide list of one language).

    ``language`` is set when the number or SIP address called belongs to one
    language; a language not ready sends the caller to the language menu with
    the source language's word that it is coming. Every later state remembers it.
    """
    return _on_number(_start(line, language), language)


def step(line: PhoneLine, state: State, event: str) -> Turn:
    """The answer to a key (``"0"``-``"9"``, ``"*"``, ``"#"``) or ``TIMEOUT`` in ``state``."""
    return _on_number(_step(line, state, event), state.number)


def _on_number(turn: Turn, number: str) -> Turn:
    return replace(turn, state=replace(turn.state, number=number))


def _start(line: PhoneLine, language: str) -> Turn:
    speaker = line.speaker
    if speaker is None:  # nothing public can be heard: say nothing false, hang up
        return Turn(State(Menu.LANGUAGES), (), hang_up=True)
    chosen = line.language(language)
    if chosen is not None and chosen.ready:
        return _guide_list(chosen, greeting=True)
    if chosen is None and len(line.ready) == 1 and len(line.languages) == 1:
        return _guide_list(speaker, greeting=True)
    coming = _coming_soon(line) if chosen is not None else ()
    return _language_menu(line, before=(speaker.prompts[Prompt.GREETING], *coming))


def _step(line: PhoneLine, state: State, event: str) -> Turn:
    if event == HANG_UP:
        return Turn(state, (), hang_up=True)  # quick exit: no goodbye, nothing to wait for
    if event == MAIN_MENU or line.speaker is None:
        return _start(line, state.number)
    language = line.language(state.language)
    if state.menu is not Menu.LANGUAGES and (language is None or not language.ready):
        return _start(line, state.number)  # withdrawn during the call
    if event == TIMEOUT:
        return _timed_out(line, state, language)
    if event not in KEYS:
        return _invalid(line, state, language)
    if state.menu is Menu.LANGUAGES:
        return _in_language_menu(line, event)
    if state.menu is Menu.GUIDES:
        return _in_guide_list(line, language, event)
    return _in_guide(line, language, state, event)


def _in_language_menu(line: PhoneLine, key: str) -> Turn:
    chosen = next((lang for lang in line.languages if str(lang.digit) == key), None)
    if chosen is None:
        return _invalid(line, State(Menu.LANGUAGES), None)
    if not chosen.ready:
        return _language_menu(line, before=_coming_soon(line))
    return _guide_list(chosen)


def _in_guide_list(line: PhoneLine, language: Language, key: str) -> Turn:
    if key == BACK and len(line.ready) > 1:
        return _language_menu(line)
    guide = language.guide(int(key)) if key.isdigit() else None
    if guide is None:
        return _invalid(line, State(Menu.GUIDES, language.code), language)
    return _section(language, guide, 0)


def _in_guide(line: PhoneLine, language: Language, state: State, key: str) -> Turn:
    guide = language.guide(state.guide)
    if guide is None or key == BACK:
        return _guide_list(language)
    index = min(state.section, len(guide.sections) - 1)
    if key == NEXT:
        if index + 1 >= len(guide.sections):
            return _guide_list(language, before=(language.prompts[Prompt.END_OF_GUIDE],))
        return _section(language, guide, index + 1)
    if key == REPEAT:
        return _section(language, guide, index)
    if key == PREVIOUS:
        return _section(language, guide, max(0, index - 1))
    return _invalid(line, replace(state, section=index), language)


def _timed_out(line: PhoneLine, state: State, language: Language | None) -> Turn:
    timeouts = state.timeouts + 1
    if timeouts >= MAX_TIMEOUTS:
        speaker = language or line.speaker
        goodbye = (speaker.prompts[Prompt.GOODBYE],) if speaker is not None else ()
        return Turn(replace(state, timeouts=timeouts), goodbye, hang_up=True)
    turn = _menu_prompt(line, state, language)
    return replace(turn, state=replace(turn.state, timeouts=timeouts))


def _invalid(line: PhoneLine, state: State, language: Language | None) -> Turn:
    speaker = language or line.speaker
    # A key, even a wrong one, means someone is there: the silences start counting again.
    turn = _menu_prompt(line, replace(state, timeouts=0), language)
    return replace(turn, play=(speaker.prompts[Prompt.INVALID], *turn.play))


def _menu_prompt(line: PhoneLine, state: State, language: Language | None) -> Turn:
    """The menu said again: in a guide only its keys, not the section."""
    if state.menu is Menu.LANGUAGES or language is None:
        return _language_menu(line)
    if state.menu is Menu.GUIDES:
        return _guide_list(language)
    return Turn(state, (language.prompts[Prompt.SECTION_HELP],))


def _language_menu(line: PhoneLine, before: tuple[Sound, ...] = ()) -> Turn:
    choices = tuple(lang.prompts[Prompt.CHOOSE_LANGUAGE] for lang in line.ready)
    waiting = _coming_soon(line) if any(not lang.ready for lang in line.languages) else ()
    if waiting and waiting[0] in before:
        waiting = ()
    return Turn(State(Menu.LANGUAGES), (*before, *choices, *waiting))


def _guide_list(language: Language, greeting: bool = False, before=()) -> Turn:
    opening = (language.prompts[Prompt.GREETING],) if greeting else ()
    entries = tuple(guide.entry for guide in language.guides)
    help_ = language.prompts[Prompt.GUIDE_LIST_HELP]
    return Turn(State(Menu.GUIDES, language.code), (*opening, *before, *entries, help_))


def _section(language: Language, guide: Guide, index: int) -> Turn:
    section = Sound(guide.page_id, guide.sections[index])
    state = State(Menu.SECTION, language.code, guide.digit, index)
    return Turn(state, (section, language.prompts[Prompt.SECTION_HELP]), heard=section)


def _coming_soon(line: PhoneLine) -> tuple[Sound, ...]:
    speaker = line.speaker
    prompt = speaker.prompts.get(Prompt.COMING_SOON) if speaker is not None else None
    return (prompt,) if prompt is not None else ()
