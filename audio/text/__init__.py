"""Stage 1 of the audio pipeline: text → what an engine should say.

- ``speech``: a page → ordered sections of readable sentences (the one
  function the audio, the API and the front all use; captions show this text);
- ``normalize``: each sentence → the words an engine reads correctly (numbers,
  dates, money, phones, addresses, acronyms; Spanish, and a little English);
- ``lexicon``: the editors' pronunciation entries, applied before the rules.

The bottom layer of ``audio``: it imports nothing from ``cms``, the engines,
mastering or the jobs (``.importlinter`` checks it).
"""

from .lexicon import apply_lexicon, lexicon_for, lexicon_matches
from .normalize import NORMALIZER_VERSION, normalize_english, normalize_spanish, spoken_form
from .speech import INTRO_ID, SpeechSection, block_section, intro_section, speech_sections

__all__ = [
    "INTRO_ID",
    "NORMALIZER_VERSION",
    "SpeechSection",
    "apply_lexicon",
    "block_section",
    "intro_section",
    "lexicon_for",
    "lexicon_matches",
    "normalize_english",
    "normalize_spanish",
    "speech_sections",
    "spoken_form",
]
