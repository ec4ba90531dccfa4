"""More than four calls at once: several SIP service processes behind one address.

The pjsua2-python wheel is built with PJSUA_MAX_CALLS 4 and pjsua allows one library per
process, so one ``audio.phone.sip`` process holds four calls (a fifth gets 486 Busy Here).
With ``workers`` > 1 the line is that many processes on the next ports, and Kamailio
(Debian's ``kamailio``, GPL v2+) listens on the line's address as a stateful proxy: each
new call goes to the next process round-robin, and to the one after when a process
answers 486 (full) or not at all. Kamailio stays in the signalling path (record-route);
the audio flows between the caller and the process that answered.

Kamailio logs errors only (``debug=-1``), never a request's headers: no caller number.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

KAMAILIO = shutil.which("kamailio") or "/usr/sbin/kamailio"
MODULES = "/usr/lib/x86_64-linux-gnu/kamailio/modules"

CONFIG = """#!KAMAILIO
debug=-1
log_stderror=yes
memdbg=5
memlog=5
children={children}
listen=udp:{host}:{port}
mpath="{modules}"
loadmodule "tm.so"
loadmodule "tmx.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "siputils.so"
loadmodule "textops.so"
loadmodule "dispatcher.so"
modparam("dispatcher", "list_file", "{list_file}")
modparam("dispatcher", "flags", 2)
modparam("tm", "fr_timer", 2000)

request_route {{
    if (!mf_process_maxfwd_header("10")) {{ sl_send_reply("483", "Too Many Hops"); exit; }}
    if (has_totag()) {{
        if (loose_route()) {{ t_relay(); exit; }}
        if (is_method("ACK") && t_check_trans()) {{ t_relay(); }}
        exit;
    }}
    if (is_method("CANCEL")) {{ if (t_check_trans()) {{ t_relay(); }} exit; }}
    if (is_method("OPTIONS")) {{ sl_send_reply("200", "OK"); exit; }}
    if (!is_method("INVITE")) {{ sl_send_reply("405", "Method Not Allowed"); exit; }}
    record_route();
    if (!ds_select_dst("1", "4")) {{ sl_send_reply("503", "Service Unavailable"); exit; }}
    t_on_failure("NEXT_PROCESS");
    t_relay();
    exit;
}}

failure_route[NEXT_PROCESS] {{
    if (t_is_canceled()) {{ exit; }}
    if ((t_check_status("486|500|503") || t_branch_timeout()) && ds_next_dst()) {{
        t_on_failure("NEXT_PROCESS");
        t_relay();
    }}
}}
"""


def worker_ports(port: int, workers: int) -> list[int]:
    return [port + 1 + number for number in range(workers)]


def write_config(folder: Path, host: str, port: int, workers: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    uri_host = f"[{host}]" if ":" in host else host
    list_file = folder / "dispatcher.list"
    list_file.write_text(
        "".join(f"1 sip:{uri_host}:{p}\n" for p in worker_ports(port, workers)),
        encoding="utf-8",
    )
    config = folder / "kamailio.cfg"
    config.write_text(
        CONFIG.format(children=2, host=host, port=port, modules=MODULES, list_file=list_file),
        encoding="utf-8",
    )
    return config


def kamailio_command(config: Path, runtime: Path) -> list[str]:
    # -DD: stay in the foreground, in our process group; -E: errors to stderr.
    return [KAMAILIO, "-f", str(config), "-DD", "-E", "-Y", str(runtime), "-m", "64", "-M", "8"]


def bound(host: str, port: int) -> bool:
    """Whether a process already listens on this UDP address."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


def run(
    host: str,
    port: int,
    workers: int,
    worker_command: Callable[[str, int], list[str]],
    folder: Path,
    on_ready: Callable[[], None] = lambda: None,
) -> int:
    """Start the worker processes and Kamailio in front; stop them all on SIGTERM/SIGINT.

    ``on_ready`` is called once every process listens. Returns when any of them exits
    (1) or when asked to stop (0)."""
    config = write_config(folder, host, port, workers)
    processes = [
        subprocess.Popen(worker_command(host, worker_port))
        for worker_port in worker_ports(port, workers)
    ]
    processes.append(subprocess.Popen(kamailio_command(config, folder)))
    stopping = threading.Event()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signal_number, lambda *_: stopping.set())
    try:
        ports = [port, *worker_ports(port, workers)]
        deadline = time.monotonic() + 30
        while not all(bound(host, p) for p in ports):
            if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
                return 1
            time.sleep(0.1)
        on_ready()
        while not stopping.wait(0.5):
            if any(process.poll() is not None for process in processes):
                return 1
        return 0
    finally:
        for process in processes:
            if process.poll() is None:
                os.kill(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                process.wait()
