# Altavoz: `make demo` to try it, `make test` to check it. Everything installs
# into .venv with pip; nothing needs root.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
STAMP := $(VENV)/.installed
PORT ?= 8000
# Links the demo prints and the API's absolute URLs follow PORT unless set.
ALTAVOZ_BASE_URL ?= http://127.0.0.1:$(PORT)
export ALTAVOZ_BASE_URL

.PHONY: install demo demo-check serve test test-postgres messages catalogs clean chromium bench-smoke

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet ".[test]"
	touch $(STAMP)

install: $(STAMP)

catalogs: install
	$(MANAGE) compile_catalogs

# Google TTS is tried first; with no internet the offline voice (espeak) reads.
demo: install catalogs
	mkdir -p var
	$(MANAGE) migrate --noinput
	$(MANAGE) load_demo --admin
	$(MANAGE) generate_audio --all --sync
	$(MAKE) serve

# The web server and the audio worker together; Ctrl-C stops both.
serve: install
	@echo "Serving http://127.0.0.1:$(PORT)/es/mixco/ with an audio worker (Ctrl-C stops both)."
	trap 'kill 0' INT TERM EXIT; \
	$(MANAGE) audio_worker & \
	$(MANAGE) runserver 127.0.0.1:$(PORT) --noreload

# Runs `make demo` in a throw-away folder on port 8765 and checks what it
# serves (guides, audio, API, admin sign-in, the worker), then stops it.
demo-check: install
	$(PY) .ci/demo_check.py

test: install
	$(MANAGE) compile_catalogs --check
	$(PY) -m pytest $(PYTEST_ARGS)

# Headless Chromium for the browser tests (Debian's package; needs root). Without
# it `make test` skips those tests and says so at the end; CI installs it and
# sets ALTAVOZ_REQUIRE_BROWSER=1 so that they fail instead of skipping.
chromium:
	command -v chromium >/dev/null || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium)

# Same suite against the local PostgreSQL (CI runs this too).
test-postgres: install
	ALTAVOZ_REQUIRE_POSTGRES=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/test $(PY) -m pytest $(PYTEST_ARGS)

# Benchmarks' smoke runs (CI): one tap-to-sound run on emulated 2G, both variants.
bench-smoke: install
	$(PY) -m bench.bench_tap_to_sound --smoke

# Refresh the interface catalogs after changing strings (needs GNU gettext).
messages: install
	$(MANAGE) makemessages -l en -l cak --ignore=.venv --ignore=var
	$(MANAGE) compile_catalogs

clean:
	rm -rf $(VENV) var .pytest_cache
