# Fixtures live in fixtures.py (a plugin of tests/conftest.py, so every test
# folder can use them); make_audio_file is a plain helper, importable from here too.
from .fixtures import make_audio_file  # noqa: F401
