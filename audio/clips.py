"""Stage 3 — speech text → clips: one cached audio clip per section.

A clip is keyed by everything that changes its sound: the spoken sentences
(after normalization and the lexicon), the engine, the voice and the
normalizer version. An unchanged section is never synthesized twice; editing
one section, or a lexicon entry it uses, re-synthesizes only that section.

Each sentence is synthesized on its own and the clip records where each one
starts and ends: those spans become the captions the front highlights.
"""

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

# The package, not its functions: ``mastering`` loads PyAV and NumPy on first use, and web
# processes import this module for its keys and hashes only (``facts``, ``status``).
from . import mastering
from .mastering.working import MASTER_SAMPLE_RATE
from .models import SectionClip
from .text import NORMALIZER_VERSION, spoken_form
from .voices import RECORDED, RECORDED_VOICE

# Sentences of a section are requested side by side: network engines wait on
# replies (the engine's own limiter bounds what reaches the service); espeak
# serializes itself behind a lock. No database work happens in these threads.
SYNTHESIS_THREADS = 2
# Pauses inside a clip, in seconds: a heading is followed by a longer breath.
PAUSE_AFTER_HEADING = 0.7
PAUSE_BETWEEN_SENTENCES = 0.35


@dataclass
class SectionAudio:
    """A section's clip, ready for mastering."""

    section: object  # audio.text.SpeechSection
    clip: SectionClip
    synthesized: bool

    def pcm(self):
        """The clip's samples, decoded once: each variant's segment reads them."""
        return self._samples

    @cached_property
    def _samples(self):
        with self.clip.audio.open("rb") as file:
            return mastering.decode_audio(file.read())


def clip_key(engine_name, voice, spoken_sentences):
    payload = json.dumps(
        {
            "engine": engine_name,
            "voice": voice,
            "normalizer": NORMALIZER_VERSION,
            "sentences": spoken_sentences,
            "pauses": [PAUSE_AFTER_HEADING, PAUSE_BETWEEN_SENTENCES],
            "rate": MASTER_SAMPLE_RATE,
        },
        ensure_ascii=False,
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def content_hash(clip_keys):
    """Identity of a whole rendition's speech: the ordered keys of its clips."""
    return hashlib.sha256("|".join(clip_keys).encode()).hexdigest()


def sentence_pauses(count):
    return [PAUSE_AFTER_HEADING] + [PAUSE_BETWEEN_SENTENCES] * (count - 2) if count > 1 else []


def section_clip(section, engine, language_code, lexicon):
    """The cached clip for a section, synthesizing it only when missing.

    Returns ``SectionAudio``; raises the engine's EngineError if it fails.
    """
    spoken = [spoken_form(s, language_code, lexicon) for s in section.sentences]
    key = clip_key(engine.name, engine.voice, spoken)
    cached = _cached_clip(key)
    if cached is not None and cached.audio.storage.exists(cached.audio.name):
        return SectionAudio(section, cached, synthesized=False)

    # A sentence that normalizes to nothing (only symbols) is not synthesized;
    # spans keep the index of the displayed sentence they belong to.
    said = [(index, text) for index, text in enumerate(spoken) if text]
    with ThreadPoolExecutor(max_workers=SYNTHESIS_THREADS) as pool:
        parts = list(
            pool.map(
                lambda item: mastering.trim_silence(
                    mastering.decode_audio(engine.synthesize(item[1]).data)
                ),
                said,
            )
        )
    pcm, spans = mastering.join_with_pauses(parts, sentence_pauses(len(parts)))
    clip = SectionClip(
        key=key,
        engine=engine.name,
        voice=engine.voice,
        sentence_spans=[
            [index, round(a, 3), round(b, 3)]
            for (index, _text), (a, b) in zip(said, spans, strict=True)
        ],
        duration=len(pcm) / MASTER_SAMPLE_RATE,
    )
    clip.audio.save(f"{key}.flac", ContentFile(encode_flac(pcm)), save=False)
    try:
        with transaction.atomic():
            if cached is not None:  # its file was lost: replace the row
                cached.delete()
            clip.save()
    except IntegrityError:  # another worker stored the same clip meanwhile
        ours = clip.audio.name
        clip = SectionClip.objects.get(key=key)
        # In S3 two workers may have written the same name (no atomic "create if absent"):
        # then the file is the other worker's too and stays.
        if ours != clip.audio.name:
            clip.audio.storage.delete(ours)
    return SectionAudio(section, clip, synthesized=True)


def _cached_clip(key):
    """The clip row for `key`, if any, marked used first (so cache eviction leaves it)."""
    SectionClip.objects.filter(key=key).update(used_at=timezone.now())
    return SectionClip.objects.filter(key=key).first()


def recording_clip_key(recording):
    return hashlib.sha256(f"recorded:{recording.pk}:{recording.audio.name}".encode()).hexdigest()


def recorded_clip(section, recording):
    """A human recording used as a section's clip (one span: no sentence timing)."""
    digest = recording_clip_key(recording)
    clip = _cached_clip(digest)
    if clip is None:
        with recording.audio.open("rb") as file:
            pcm = mastering.trim_silence(mastering.decode_audio(file.read()))
        clip = SectionClip(
            key=digest,
            engine=RECORDED,
            voice=RECORDED_VOICE,
            sentence_spans=[[0, 0.0, round(len(pcm) / MASTER_SAMPLE_RATE, 3)]],
            duration=len(pcm) / MASTER_SAMPLE_RATE,
        )
        clip.audio.save(f"{digest}.flac", ContentFile(encode_flac(pcm)), save=False)
        clip.save()
    return SectionAudio(section, clip, synthesized=False)


def encode_flac(pcm):
    """Lossless storage for clips: mastering re-reads them without generation loss."""
    import numpy as np  # only where clips are made (see the imports above)

    samples = (np.clip(pcm, -1.0, 1.0) * 32767).astype(np.int16)
    return mastering.encode_samples(samples, MASTER_SAMPLE_RATE, codec="flac", container="flac")
