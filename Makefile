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

.PHONY: install demo demo-check serve serve-prod test test-postgres test-s3 lint bench-smoke messages catalogs clean chromium nginx sip cluster-check

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet ".[test]"
	touch $(STAMP)

install: $(STAMP)

catalogs: install
	$(MANAGE) compile_catalogs

# The local demo signs in with a password only; production refuses to start
# without two-factor sign-in (README, "Editors' accounts").
DEMO_2FA := ALTAVOZ_ADMIN_2FA=0

# Google TTS is tried first; with no internet the offline voice (espeak) reads.
demo: install catalogs
	mkdir -p var
	$(MANAGE) migrate --noinput
	$(DEMO_2FA) $(MANAGE) load_demo --admin
	$(MANAGE) generate_audio --all --sync
	$(MAKE) serve

# The web server and the audio worker together; Ctrl-C stops both.
serve: install
	@echo "Serving http://127.0.0.1:$(PORT)/es/mixco/ with an audio worker (Ctrl-C stops both)."
	@echo "Admin sign-in: password only (two-factor sign-in is off in the demo: $(DEMO_2FA))."
	trap 'kill 0' INT TERM EXIT; \
	$(DEMO_2FA) $(MANAGE) audio_worker & \
	$(DEMO_2FA) $(MANAGE) runserver 127.0.0.1:$(PORT) --noreload

# Production processes on this machine: gunicorn and the audio worker with the production
# settings, configured only through the environment (README, "Production";
# docs/deploy/altavoz.env.example). Needs DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS.
WEB_WORKERS ?= 2
BIND ?= 127.0.0.1:$(PORT)
serve-prod: install
	export DJANGO_SETTINGS_MODULE=config.settings.production; \
	$(MANAGE) check --deploy && \
	$(MANAGE) collectstatic --noinput -v0 && \
	$(MANAGE) migrate --noinput && \
	trap 'kill 0' INT TERM EXIT && \
	{ $(MANAGE) audio_worker & \
	  $(VENV)/bin/gunicorn config.wsgi:application --bind $(BIND) --workers $(WEB_WORKERS) --threads 2; }

# Runs `make demo` in a throw-away folder on port 8765 and checks what it
# serves (guides, audio, API, admin sign-in, the worker), then stops it.
demo-check: install
	$(PY) .ci/demo_check.py

test: install lint
	$(MANAGE) compile_catalogs --check
	$(PY) -m pytest -m "not cluster" $(PYTEST_ARGS)

# Import contracts, ruff's formatting and ruff's lint rules, for the whole tree.
lint: install
	$(VENV)/bin/lint-imports
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .

# Headless Chromium for the browser tests (Debian's package; needs root). Without
# it `make test` skips those tests and says so at the end; CI installs it and
# sets ALTAVOZ_REQUIRE_BROWSER=1 so that they fail instead of skipping.
chromium:
	command -v chromium >/dev/null || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium)

# nginx for the tests of the production front (tests/test_slow_listeners.py); needs root.
nginx:
	command -v nginx >/dev/null || test -x /usr/sbin/nginx || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nginx-light)

# Kamailio, in front of the SIP line's processes when there are several (audio/phone/
# dispatch.py; tests/phone/test_sip_line.py calls 10 at once through it), and SIPp
# (sip-tester), a caller that is not PJSIP; needs root. The SIP stack itself (pjsua2) is a
# pip package. CI sets ALTAVOZ_REQUIRE_SIP=1: no SIP test skips.
sip:
	(command -v kamailio >/dev/null || test -x /usr/sbin/kamailio) && command -v sipp >/dev/null || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends kamailio sip-tester)

# A production cluster on loopback (tests/cluster): its own PostgreSQL and Redis, gunicorn
# A and B and two audio workers behind nginx, listeners reading through publishes and faults
# (a worker or a web instance killed, Redis stopped, PostgreSQL restarted). Needs nginx,
# redis-server and PostgreSQL 15's initdb/pg_ctl (PG_BIN); about 4 minutes on 2 cores.
PG_BIN ?= /usr/lib/postgresql/15/bin
cluster-check: install
	ALTAVOZ_REQUIRE_CLUSTER=1 ALTAVOZ_PG_BIN=$(PG_BIN) $(PY) -m pytest tests/cluster -m cluster -p no:cacheprovider $(PYTEST_ARGS)

# Same suite against the local PostgreSQL (CI runs this too), but for the browser tests and
# the SIP calls: they read no database of their own kind (the SIP line's calls run on a
# made-up line) and `make test` runs them; leaving them out keeps CI under 45 minutes.
test-postgres: install
	ALTAVOZ_REQUIRE_POSTGRES=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/test $(PY) -m pytest -m "not cluster" --ignore=tests/front --ignore=tests/phone/test_sip_line.py $(PYTEST_ARGS)

# The audio, radio and media-serving tests with media in S3: a SeaweedFS server the tests
# start (tests/object_storage.py) instead of the local disk.
test-s3: install
	ALTAVOZ_TEST_STORAGE=s3 $(PY) -m pytest tests/audio tests/radio tests/test_media_serving.py $(PYTEST_ARGS)

# Every benchmark on a small input (bench/common.py): a broken benchmark fails CI.
# One line per benchmark; figures are printed, no timing is judged.
bench-smoke: install
	$(PY) -m bench.bench_api --smoke --identity
	$(PY) -m bench.bench_espeak_generation --smoke
	$(PY) -m bench.bench_gtts_cache --smoke
	$(PY) -m bench.bench_radio --smoke
	$(PY) -m bench.bench_tap_to_sound --smoke
	$(PY) -m bench.bench_growth --smoke
	$(PY) -m bench.bench_draft_listening --smoke
	$(PY) -m bench.bench_section_edit --smoke
	$(PY) -m bench.bench_reach --smoke
	$(PY) -m bench.bench_load --smoke
	$(PY) -m bench.bench_phone_calls --smoke

# Refresh the interface catalogs after changing strings (needs GNU gettext).
messages: install
	$(MANAGE) makemessages -l en -l cak --ignore=.venv --ignore=var
	$(MANAGE) compile_catalogs

clean:
	rm -rf $(VENV) var .pytest_cache
