"""The text stage is the bottom layer: pure functions, usable without Django.

``.importlinter`` checks what it imports by name; this checks what importing it
actually loads, in a fresh interpreter with no settings.
"""

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


def test_the_text_stage_imports_and_normalizes_without_django_set_up():
    script = (
        "import sys\n"
        "from audio.text import normalize_spanish\n"
        "print(normalize_spanish('Llame al 110.'))\n"
        "print(sorted(m for m in ('audio.models', 'cms', 'django.apps') if m in sys.modules))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.splitlines() == ["Llame al uno, uno, cero.", "[]"]
