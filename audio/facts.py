"""What the audio of many pages is made of, loaded in a fixed number of queries.

One rule, batch-first: which clips a rendition in a voice would be made of if
made now (``clip_keys``), and so its content hash. The admin status, the API,
radio packages and the cache sweep all ask it; a single page is a list of one
(``page_content_hash``). "Stale" everywhere means: the live rendition's hash is
not the one this gives.
"""

import hashlib
import json
import threading
from collections import OrderedDict, defaultdict
from dataclasses import dataclass, field

from .clips import clip_key, content_hash, recording_clip_key
from .models import AudioJob, PronunciationEntry, Rendition, SectionRecording
from .text import NORMALIZER_VERSION, spoken_form
from .variants import published_variants
from .voices import RECORDED

GENERATING_STATES = (AudioJob.State.QUEUED, AudioJob.State.RUNNING)
# Normalizing a guide's text for the hash costs ~0.1 s; the text rarely changes
# between rebuilds of the API's documents, so results are kept per process: enough
# for every page of a large site (600 guides in three languages), 130 bytes each.
_HASH_MEMO_SIZE = 4096
_hash_memo: OrderedDict[str, str] = OrderedDict()
_hash_memo_lock = threading.Lock()


@dataclass
class AudioFacts:
    """Live renditions, jobs, recordings and lexicons for a set of pages."""

    renditions: dict = field(default_factory=dict)  # page id → [Rendition] in variant order
    jobs: dict = field(default_factory=dict)  # page id → AudioJob
    recordings: dict = field(default_factory=dict)  # page id → {section id: SectionRecording}
    lexicons: dict = field(default_factory=dict)  # language code → {written: spoken}

    @classmethod
    def load(cls, page_ids) -> "AudioFacts":
        """Four queries for any number of pages."""
        page_ids = list(page_ids)
        order = {variant.name: index for index, variant in enumerate(published_variants())}
        facts = cls()
        renditions = defaultdict(list)
        for rendition in Rendition.objects.filter(page_id__in=page_ids, state=Rendition.State.LIVE):
            renditions[rendition.page_id].append(rendition)
        facts.renditions = {
            page_id: sorted(items, key=lambda r: (order.get(r.variant, len(order)), r.variant))
            for page_id, items in renditions.items()
        }
        facts.jobs = {job.page_id: job for job in AudioJob.objects.filter(page_id__in=page_ids)}
        recordings = defaultdict(dict)
        for recording in SectionRecording.objects.filter(page_id__in=page_ids):
            recordings[recording.page_id][recording.section_id] = recording
        facts.recordings = dict(recordings)
        lexicons = defaultdict(dict)
        for language, written, spoken in PronunciationEntry.objects.values_list(
            "locale__language_code", "written", "spoken"
        ):
            lexicons[language][written] = spoken
        facts.lexicons = dict(lexicons)
        return facts

    def generating(self, page_id) -> bool:
        job = self.jobs.get(page_id)
        return job is not None and job.state in GENERATING_STATES


def clip_keys(page_id, language_code, sections, engine_name, voice, facts) -> list[str]:
    """The keys of the clips a rendition in this voice would be made of now, in order.

    ``sections`` are the speech sections of the version read aloud. Recordings:
    the page's own, where a section has one; a synthetic voice: every section,
    as the normalizer and the language's lexicon would say it.
    """
    if engine_name == RECORDED:
        recordings = facts.recordings.get(page_id, {})
        return [recording_clip_key(recordings[s.id]) for s in sections if s.id in recordings]
    lexicon = facts.lexicons.get(language_code, {})
    return [
        clip_key(engine_name, voice, [spoken_form(t, language_code, lexicon) for t in s.sentences])
        for s in sections
    ]


def text_key(language_code, sections, engine_name, voice, lexicon) -> str:
    """A digest of everything a synthetic voice's clip keys are computed from, before the
    (costly) normalizing: equal keys give equal content hashes."""
    return hashlib.sha256(
        json.dumps(
            [
                NORMALIZER_VERSION,
                engine_name,
                voice,
                language_code,
                sorted(lexicon.items()),
                [list(s.sentences) for s in sections],
            ],
            ensure_ascii=False,
        ).encode()
    ).hexdigest()


def current_content_hash(page_id, language_code, sections, engine_name, voice, facts) -> str:
    """The content hash a rendition in this voice would have if made now (memoized)."""
    if engine_name == RECORDED:  # no text to normalize: cheap
        return content_hash(clip_keys(page_id, language_code, sections, engine_name, voice, facts))
    lexicon = facts.lexicons.get(language_code, {})
    memo_key = text_key(language_code, sections, engine_name, voice, lexicon)
    with _hash_memo_lock:
        if memo_key in _hash_memo:
            _hash_memo.move_to_end(memo_key)
            return _hash_memo[memo_key]
    result = content_hash(clip_keys(page_id, language_code, sections, engine_name, voice, facts))
    _remember_hash(memo_key, result)
    return result


def _remember_hash(memo_key, result):
    with _hash_memo_lock:
        _hash_memo[memo_key] = result
        while len(_hash_memo) > _HASH_MEMO_SIZE:
            _hash_memo.popitem(last=False)


def rendition_is_current(rendition, language_code, sections, facts, trust_text_key=True) -> bool:
    """Whether a live rendition was made from the clips its page's text would give now.

    With ``trust_text_key``, a rendition read from this very text counts as current without
    normalizing it. The worker's sweep does not trust it: after an upgrade that reads text
    differently (new rules, same text), only normalizing again shows the audio is stale.
    """
    if trust_text_key and rendition.text_key and rendition.engine != RECORDED:
        lexicon = facts.lexicons.get(language_code, {})
        key = text_key(language_code, sections, rendition.engine, rendition.voice, lexicon)
        if key == rendition.text_key:  # made from this very text: no need to normalize it
            _remember_hash(key, rendition.content_hash)
            return True
    expected = current_content_hash(
        rendition.page_id, language_code, sections, rendition.engine, rendition.voice, facts
    )
    return expected == rendition.content_hash
