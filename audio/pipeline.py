"""The audio pipeline, top-down. Each stage is one module:

1. ``text.speech``     page → sections of readable sentences
2. ``text.normalize``  sentences → what an engine should say (numbers, acronyms,
                       after the editors' ``text.lexicon``)
3. ``clips``           spoken sentences → one cached clip per section (engines/)
4. ``segments``        clips → each section mastered and encoded once per variant,
                       cached (the signal work is in ``mastering``)
5. ``publishing``      segments → joined without re-encoding, measured, tagged,
                       live renditions swapped in atomically
   ``phone_files``     clips → one file per section in the phone formats, swapped
                       in the same way, once the renditions are live

``generate_page_audio`` runs them for one page in one voice. If a voice fails
part-way (Google unreachable, 429s, garbage), the whole page is made again with
the next voice: a rendition never mixes voices.
"""

import logging
import time

from cms import visibility

from .changes import record_fallback_versions, record_version
from .clips import content_hash, recorded_clip, section_clip
from .engines import EngineError
from .facts import text_key
from .failures import NoVoiceAvailable, incomplete_translation, voice_failure
from .models import Rendition
from .phone_files import publish_phone_audio, withdraw_phone_audio
from .publishing import live_renditions, publish_renditions, withdraw_renditions
from .recordings import recording_statuses
from .text import lexicon_for, speech_sections
from .variants import published_variants
from .voices import RECORDED, RECORDED_VOICE, mark_failed, reads_honestly, voices_for

logger = logging.getLogger(__name__)


def generate_page_audio(page, force=False):
    """Make (or refresh) all published variants of one page's audio.

    Returns a summary for editors and the ``generate_audio`` command. Only
    what the public may see is voiced, as published (``cms.visibility``): a
    page that is not public gets no audio, and loses what it had.
    """
    started = time.monotonic()
    language = page.locale.language_code
    version = visibility.shown_version(page)
    if version is None:
        return _withdrawn(page, started)
    content = version.object
    sections = speech_sections(content)
    clips, engine_name, voice_name, failures = _read_in_first_voice(
        page, language, version, sections
    )

    summary = {
        "engine": engine_name,
        "voice": voice_name,
        "sections": len(clips),
        "synthesized": sum(c.synthesized for c in clips),
        "cached": sum(not c.synthesized for c in clips),
        # Why the voices before this one were passed over: the text for the command and the
        # server's maintainers, the kinds for editors (audio.failures).
        "fallback_errors": [failure["detail"] for failure in failures],
        "fallback_failures": failures,
    }
    if not clips:
        record_version(page, version, sections)  # the text is public, with no audio of its own
        summary.update(published=[], duration=0, seconds=round(time.monotonic() - started, 2))
        return summary

    speech_hash = content_hash([c.clip.key for c in clips])
    # What the hash was computed from, before normalizing: lets readers skip that (facts).
    read_from = (
        ""
        if engine_name == RECORDED
        else text_key(language, sections, engine_name, voice_name, lexicon_for(language))
    )
    # A page that is no web page (the phone line's menu, ``on_the_web = False``) gets no web
    # renditions: only its phone files are made.
    variants = published_variants() if getattr(page, "on_the_web", True) else []
    current = live_renditions(page)
    if not force and _live_files_match(current, speech_hash, variants):
        published, encoded = [], {}  # same clips, same variants: the live files are already right
        stale_keys = [r.pk for r in current.values() if r.text_key != read_from]
        Rendition.objects.filter(pk__in=stale_keys).update(text_key=read_from)
    else:
        # Forced: every segment is mastered again too, not only joined.
        published, encoded = publish_renditions(
            page,
            content,
            clips,
            variants,
            speech_hash,
            engine_name,
            voice_name,
            refresh=force,
            text_key=read_from,
        )
    # Now that the audio is live: what this publish (or lexicon edit, recording) changed.
    record_version(page, version, sections)
    record_fallback_versions(page)
    # The phone line's files follow the web's, from the same clips (a failure here fails the
    # job, with the web's audio and its version already recorded).
    phone = publish_phone_audio(page, clips, refresh=force)
    durations = [r.duration for r in (published or current.values())]
    summary.update(
        published=[r.variant for r in published],
        segments_encoded=encoded,
        phone=phone,
        duration=round(max(durations), 2) if durations else 0,
        seconds=round(time.monotonic() - started, 2),
    )
    return summary


def _withdrawn(page, started):
    """A page the public may not see: no audio, and what it had is withdrawn."""
    withdrawn = withdraw_renditions([page.pk])
    withdraw_phone_audio([page.pk])
    return {
        "not_public": True,
        "withdrawn": withdrawn,
        "published": [],
        "duration": 0,
        "seconds": round(time.monotonic() - started, 2),
    }


def _read_in_first_voice(page, language, version, sections):
    """The sections' clips in the first of the language's voices that can read them.

    Returns (clips, engine name, voice name, how the voices before it failed, see
    ``audio.failures``); raises ``NoVoiceAvailable`` when none could.
    """
    failures = []
    for voice in voices_for(language):
        if not reads_honestly(voice.engine_name, version):
            # A Spanish text in an English voice is worse than no audio: wait
            # for the translation. Recorded voices only need the sections.
            failures.append(incomplete_translation(voice.engine_name, language))
            continue
        try:
            if voice.is_recorded:
                return recorded_clips(page, sections), RECORDED, RECORDED_VOICE, failures
            engine = voice.engine()
            clips = [section_clip(s, engine, language, lexicon_for(language)) for s in sections]
            return clips, engine.name, engine.voice, failures
        except EngineError as error:
            logger.warning("Voice %s failed for page %s: %s", voice.engine_name, page.pk, error)
            failures.append(voice_failure(voice.engine_name, error))
            mark_failed(voice, language)
    reason = "; ".join(f["detail"] for f in failures) or f"no voice configured for {language!r}"
    raise NoVoiceAvailable(f"No voice could read this page ({reason}).", failures)


def _live_files_match(current, speech_hash, variants):
    """Whether every variant's live rendition was made from these clips, in its current format."""
    return all(
        v.name in current
        and current[v.name].content_hash == speech_hash
        and current[v.name].mime_type == v.mime_type
        for v in variants
    )


def recorded_clips(page, sections):
    """Clips from human recordings, in section order; sections without one are left out."""
    return [
        recorded_clip(status.section, status.recording)
        for status in recording_statuses(page, sections)
        if status.recording is not None
    ]
