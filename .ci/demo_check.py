"""Run `make demo` as a newcomer would and check what it promises, then stop it.

`make demo-check` (CI runs it after the tests). The demo runs in a throw-away
var directory on its own port, so a developer's own demo is not touched.
Checked: the guides (no cookie, the CSP header, the quick exit) and their audio are
served, the API lists the audio, the demo admin can sign in, and the worker
running next to the server makes new audio when a page asks for it.
Standard library only.
"""

import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PORT_SETTING = os.environ.get("DEMO_CHECK_PORT", "8765")
if not PORT_SETTING.isdigit() or not 1024 <= int(PORT_SETTING) <= 65535:
    sys.exit(f"DEMO_CHECK_PORT must be a port number from 1024 to 65535, not {PORT_SETTING!r}.")
PORT = int(PORT_SETTING)
BASE = f"http://127.0.0.1:{PORT}"
# Generating the demo audio comes before the server starts.
START_TIMEOUT = 30 * 60
WORKER_TIMEOUT = 10 * 60


class CheckFailed(Exception):
    pass


def check(condition, message):
    if not condition:
        raise CheckFailed(message)


def fetch(opener, path, data=None, headers=None):
    request = urllib.request.Request(BASE + path, data=data, headers=headers or {})
    with opener.open(request, timeout=30) as response:
        return response.status, response.headers, response.read()


def wait_for_server(demo):
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if demo.poll() is not None:
            raise CheckFailed(f"`make demo` exited with {demo.returncode} before serving")
        try:
            urllib.request.urlopen(BASE + "/es/mixco/", timeout=5).close()
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(2)
    raise CheckFailed(f"nothing answered on {BASE} after {START_TIMEOUT} s")


def check_guides_and_audio(opener):
    for path in ("/es/mixco/", "/es/patzun/", "/en/mixco/", "/cak/patzun/"):
        status, headers, body = fetch(opener, path)
        check(status == 200, f"{path} answered {status}")
        # Listeners' safety, as served by the demo itself: no cookie, nothing from elsewhere.
        check("Set-Cookie" not in headers, f"{path} sets a cookie")
        csp = {part.strip() for part in headers.get("Content-Security-Policy", "").split(";")}
        check(
            {"default-src 'self'", "frame-ancestors 'none'"} <= csp,
            f"{path} has no Content-Security-Policy header",
        )
        check(
            not any("unsafe-inline" in part for part in csp),
            f"{path} allows inline script or style",
        )
        check(b'id="quick-exit"' in body, f"{path} has no quick exit")
    _status, _headers, body = fetch(opener, "/es/mixco/")
    sources = re.findall(rb'<audio[^>]*\ssrc="([^"]+\.mp3)', body)
    check(sources, "the Mixco guide has no audio player with an MP3")
    audio_path = urllib.parse.urlsplit(sources[0].decode()).path
    status, headers, audio = fetch(opener, audio_path)
    check(
        status == 200 and headers["Content-Type"] == "audio/mpeg",
        f"{audio_path}: {status} {headers['Content-Type']}",
    )
    check(len(audio) > 100_000, f"{audio_path} is only {len(audio)} bytes")
    status, headers, part = fetch(opener, audio_path, headers={"Range": "bytes=0-999"})
    check(
        status == 206 and len(part) == 1000,
        f"a range of {audio_path} answered {status} with {len(part)} bytes",
    )
    print(
        "ok  guides served without cookies, with the CSP header and the quick exit; "
        f"Mixco audio {len(audio) / 1e6:.1f} MB, ranges answered"
    )


def live_renditions(opener):
    _status, _headers, body = fetch(opener, "/api/v2/renditions/?locale=es&limit=100")
    return json.loads(body)["items"]


def check_api(opener):
    _status, _headers, body = fetch(opener, "/api/v2/guides/?locale=es")
    slugs = {guide["slug"] for guide in json.loads(body)["items"]}
    check({"mixco", "patzun"} <= slugs, f"the API lists the Spanish guides {sorted(slugs)}")
    renditions = live_renditions(opener)
    voiced = {item["guide"] for item in renditions if item["status"] == "ready"}
    check(len(voiced) >= 2, f"the API lists ready Spanish audio for {len(voiced)} guides")
    print(f"ok  API lists {len(slugs)} Spanish guides and {len(renditions)} ready renditions")
    return renditions


def check_admin_sign_in():
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    _status, _headers, body = fetch(opener, "/admin/login/")
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    check(token, "the admin sign-in page has no CSRF token")
    form = urllib.parse.urlencode(
        {
            "csrfmiddlewaretoken": token.group(1).decode(),
            "username": "admin",
            "password": "altavoz-demo",
        }
    ).encode()
    fetch(opener, "/admin/login/", data=form, headers={"Referer": BASE + "/admin/login/"})
    status, _headers, body = fetch(opener, "/admin/audio/report/")
    check(status == 200 and b"Mixco" in body, f"the signed-in audio report answered {status}")
    print("ok  demo admin signs in and sees the audio report")


def check_worker(opener, env, renditions):
    """Queue one guide's audio from outside the server: only the worker can make it."""
    rendition = renditions[0]
    before = rendition["generated_at"]
    queued = subprocess.run(
        [
            str(ROOT / ".venv/bin/python"),
            "manage.py",
            "generate_audio",
            "--page",
            str(rendition["guide"]),
            "--force",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    check(queued.returncode == 0, f"generate_audio failed: {queued.stderr}")
    deadline = time.monotonic() + WORKER_TIMEOUT
    while time.monotonic() < deadline:
        time.sleep(3)
        for item in live_renditions(opener):
            if (
                item["id"] != rendition["id"]
                and item["guide"] == rendition["guide"]
                and item["variant"] == rendition["variant"]
                and item["generated_at"] > before
            ):
                print(f"ok  the worker re-made guide {rendition['guide']}'s audio")
                return
    raise CheckFailed(
        f"the worker did not re-make guide {rendition['guide']}'s audio in {WORKER_TIMEOUT} s"
    )


def port_is_free():
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", PORT)) != 0


def main():
    if not port_is_free():
        print(f"FAIL port {PORT} is in use; choose another with DEMO_CHECK_PORT")
        return 1
    var_dir = Path(tempfile.mkdtemp(prefix="altavoz-demo-check-"))
    env = dict(
        os.environ, ALTAVOZ_VAR_DIR=str(var_dir), ALTAVOZ_BASE_URL=BASE, ALTAVOZ_API_MAX_AGE="0"
    )
    env.pop("DATABASE_URL", None)  # the demo's own embedded database
    log_path = var_dir / "demo.log"
    started = time.monotonic()
    with open(log_path, "w") as log:
        demo = subprocess.Popen(
            ["make", "demo", f"PORT={PORT}"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for_server(demo)
        print(f"ok  `make demo` served {BASE} after {time.monotonic() - started:.0f} s")
        output = log_path.read_text()
        check(
            "user 'admin'" in output and BASE in output,
            "`make demo` did not print the admin sign-in",
        )
        opener = urllib.request.build_opener()
        check_guides_and_audio(opener)
        renditions = check_api(opener)
        check_admin_sign_in()
        check_worker(opener, env, renditions)
    except (CheckFailed, urllib.error.URLError, KeyError, ValueError) as error:
        print(f"FAIL {error}\n--- last lines of {log_path} ---")
        print("\n".join(log_path.read_text().splitlines()[-40:]))
        return 1
    finally:
        # `make serve` traps the signal and stops the server and the worker with it.
        os.killpg(demo.pid, signal.SIGTERM)
        try:
            demo.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(demo.pid, signal.SIGKILL)
    shutil.rmtree(var_dir)
    print("demo check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
