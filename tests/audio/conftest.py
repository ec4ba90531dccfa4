import pytest

from audio.mastering import encode

# Most fixtures live in fixtures.py (a plugin of tests/conftest.py, so every test
# folder can use them); make_audio_file is a plain helper, importable from here too.
from .fixtures import make_audio_file  # noqa: F401


@pytest.fixture
def encodes(monkeypatch):
    """Every encoder run, as (variant name, samples encoded); for this folder's tests."""
    calls = []
    original = encode.encode_variant

    def counting(pcm, variant, container=None):
        calls.append((variant.name, len(pcm)))
        return original(pcm, variant, container)

    monkeypatch.setattr(encode, "encode_variant", counting)
    return calls
