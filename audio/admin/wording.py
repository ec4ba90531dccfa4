"""What the audio tab and the audio report say to editors, in their language and plain words.

A status (``audio.status``) holds states, variant names, seconds and, for a failure, its
kind (``audio.failures``). Editors are told, for each problem, what happened, what the
listener gets now and what happens next; the engine's own message is kept for whoever
maintains the server, folded away by the templates. Times to wait come from the settings
the worker itself obeys (a voice's cool-down, the takeover of a stopped worker).
"""

import math
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from audio import failures
from audio.models import AudioJob
from audio.voices import RECORDED

VARIANT_NAMES = {
    "listen": gettext_lazy("Normal (MP3)"),
    "lowdata": gettext_lazy("Ahorro de datos (WebM)"),
    "radio": gettext_lazy("Radio (MP3)"),
}
STATE_NAMES = {
    "ready": gettext_lazy("listo"),
    "stale": gettext_lazy("desactualizado"),
    "queued": gettext_lazy("en cola"),
    "running": gettext_lazy("generando"),
    "failed": gettext_lazy("falló"),
    "missing": gettext_lazy("sin audio"),
}
# The voices by what they are to an editor, not by engine name.
VOICE_NAMES = {
    "gtts": gettext_lazy("Google"),
    "espeak": gettext_lazy("la voz sin conexión"),
    RECORDED: gettext_lazy("las grabaciones"),
}


@dataclass
class Notice:
    """One problem told in three plain sentences, with the technical detail to fold away."""

    level: str  # "warning" (the listener has audio) or "critical"
    happened: str
    listener: str
    next: str
    detail: str = ""


@dataclass
class VariantRow:
    name: str
    label: str
    state: str
    state_label: str
    duration: str
    rendition: object = None


@dataclass
class StatusWords:
    notices: list = field(default_factory=list)
    variants: list = field(default_factory=list)
    voice: str = ""


def format_duration(seconds) -> str:
    """14:20 for 860 seconds, 1:02:03 past the hour (rounded to the second)."""
    total = max(0, round(seconds or 0))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def variant_label(name) -> str:
    return str(VARIANT_NAMES.get(name, name))


def voice_label(engine_name) -> str:
    return str(VOICE_NAMES.get(engine_name, engine_name))


def describe(status, now=None) -> StatusWords:
    """The words for one page's ``PageAudioStatus``."""
    now = now or timezone.now()
    words = StatusWords(
        variants=[
            VariantRow(
                v.variant,
                variant_label(v.variant),
                v.state,
                str(STATE_NAMES.get(v.state, v.state)),
                format_duration(v.rendition.duration) if v.rendition else "",
                v.rendition,
            )
            for v in status.variants
        ]
    )
    engine, _voice = status.engine
    words.voice = _capitalized(voice_label(engine)) if engine else ""
    job = status.job
    has_audio = any(v.rendition for v in status.variants)
    if job is None:
        return words
    if job.state == AudioJob.State.FAILED:
        words.notices.append(_failed_notice(job, has_audio, now))
    elif job.state == AudioJob.State.RUNNING and _worker_stopped(job, now):
        words.notices.append(_worker_stopped_notice(job, has_audio, now))
    elif job.state == AudioJob.State.READY and job.summary.get("fallback_errors"):
        words.notices.append(_fallback_notice(job, now))
    return words


def _listener_now(has_audio) -> str:
    if has_audio:
        return _("Quien escucha sigue oyendo el audio anterior de esta guía.")
    return _("Quien escucha todavía no tiene audio de esta guía (solo el texto).")


def _minutes_phrase(seconds) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return ngettext("en %(n)d minuto", "en %(n)d minutos", minutes) % {"n": minutes}


def _voice_happened(failure) -> str:
    """One voice's failure in a short clause: "Google no respondió"."""
    voice = voice_label(failure.get("voice", ""))
    kind = failure.get("kind") or failures.UNKNOWN
    clauses = {
        failures.UNREACHABLE: _("%(voice)s no respondió"),
        failures.RATE_LIMITED: _("%(voice)s rechazó los pedidos: eran demasiados (límite de uso)"),
        failures.OVERLOADED: _("%(voice)s estaba sobrecargado y no atendió"),
        failures.BAD_REPLY: _("%(voice)s respondió, pero sin un audio válido"),
        failures.REFUSED: _("%(voice)s rechazó el pedido"),
        failures.VOICE_BROKEN: _("%(voice)s no funciona en el servidor"),
        failures.TRANSLATION_INCOMPLETE: _(
            "%(voice)s espera a que la traducción esté completa (no lee el texto en español)"
        ),
        failures.RECORDING_MISSING: _("falta el archivo de una grabación o no se puede leer"),
    }
    clause = clauses.get(kind, _("%(voice)s falló"))
    return clause % {"voice": voice}


def _capitalized(text) -> str:
    return text[:1].upper() + text[1:]


def _retry_after(job, voice_failures, now):
    """Seconds until a voice that failed for a passing reason may be tried again, or None."""
    passing = [f for f in voice_failures if f.get("kind") in failures.PASSING_KINDS]
    if not passing or job.finished_at is None:
        return None
    retry_at = job.finished_at + timedelta(seconds=settings.ALTAVOZ_VOICE_RETRY_AFTER_SECONDS)
    return max(0.0, (retry_at - now).total_seconds())


def _retry_sentence(job, voice_failures, now) -> str:
    wait = _retry_after(job, voice_failures, now)
    if wait is None:
        return ""
    voices = ", ".join(
        dict.fromkeys(
            voice_label(f["voice"])
            for f in voice_failures
            if f.get("kind") in failures.PASSING_KINDS
        )
    )
    if wait <= 0:
        return _(
            "%(voice)s ya se puede volver a intentar: pulse «Regenerar audio» o vuelva a publicar."
        ) % {"voice": _capitalized(voices)}
    return _capitalized(
        _(
            "Se volverá a intentar con %(voice)s %(when)s, en la próxima generación del audio "
            "(al publicar o con «Regenerar audio»)."
        )
        % {"voice": voices, "when": _minutes_phrase(wait)}
    )


def _fallback_notice(job, now) -> Notice:
    summary = job.summary
    voice_failures = summary.get("fallback_failures") or [
        {"voice": text.split(":", 1)[0], "kind": failures.classify_text(text)}
        for text in summary.get("fallback_errors", [])
    ]
    used = voice_label(summary.get("engine", ""))
    happened = "; ".join(_voice_happened(f) for f in voice_failures)
    happened = _("%(what)s; se usó %(voice)s.") % {"what": _capitalized(happened), "voice": used}
    listener = _("Quien escucha oye la guía con %(voice)s.") % {"voice": used}
    upcoming = _retry_sentence(job, voice_failures, now) or _(
        "La próxima generación del audio volverá a probar las voces en orden."
    )
    detail = "\n".join(summary.get("fallback_errors", []))
    return Notice("warning", happened, listener, upcoming, detail)


def _failed_notice(job, has_audio, now) -> Notice:
    failure = job.summary.get("failure") or {"kind": failures.classify_text(job.error)}
    kind = failure.get("kind") or failures.UNKNOWN
    voice_failures = failure.get("voices") or []
    if kind == failures.NO_VOICE and voice_failures:
        happened = _("Ninguna voz pudo leer la guía: %(why)s.") % {
            "why": "; ".join(_voice_happened(f) for f in voice_failures)
        }
    else:
        happened = _job_happened(kind)
    upcoming = _retry_sentence(job, voice_failures, now) or _(
        "No se volverá a intentar solo: cuando la causa esté resuelta, pulse «Regenerar audio» "
        "o vuelva a publicar. Si se repite, avise a quien mantiene el servidor."
    )
    if voice_failures and all(
        f.get("kind") == failures.TRANSLATION_INCOMPLETE for f in voice_failures
    ):
        upcoming = _("El audio se hará solo cuando se publique la traducción completa.")
    return Notice("critical", happened, _listener_now(has_audio), upcoming, job.error)


def _job_happened(kind) -> str:
    sentences = {
        failures.RECORDING_MISSING: _(
            "Falta el archivo de una grabación de esta guía, o no se puede leer."
        ),
        failures.MASTERING: _("Falló el procesamiento del sonido (volumen y formato del audio)."),
        failures.STORAGE: _(
            "No se pudieron guardar los archivos de audio (disco lleno o almacenamiento "
            "inaccesible)."
        ),
        failures.DATABASE: _("La base de datos no respondió mientras se guardaba el audio."),
        failures.NO_VOICE: _("No hay ninguna voz configurada para este idioma."),
    }
    return sentences.get(kind, _("Algo falló al generar el audio."))


def _worker_stopped(job, now) -> bool:
    beat = job.heartbeat_at or job.started_at
    stall = timedelta(seconds=settings.ALTAVOZ_AUDIO_STALL_SECONDS)
    # A live worker beats several times per stall period; one silent for half of it is gone.
    return beat is not None and now - beat > stall / 2


def _worker_stopped_notice(job, has_audio, now) -> Notice:
    beat = job.heartbeat_at or job.started_at
    takeover_at = beat + timedelta(seconds=settings.ALTAVOZ_AUDIO_STALL_SECONDS)
    wait = (takeover_at - now).total_seconds()
    if wait > 0:
        upcoming = _("Se volverá a poner en cola %(when)s, y otro proceso lo retomará.") % {
            "when": _minutes_phrase(wait)
        }
    else:
        upcoming = _(
            "Se volverá a poner en cola en cuanto haya un proceso de audio en marcha; si no lo "
            "hay, avise a quien mantiene el servidor."
        )
    happened = _("El proceso que generaba el audio dejó de responder.")
    detail = f"worker={job.worker} heartbeat_at={beat.isoformat()}"
    return Notice("critical", happened, _listener_now(has_audio), upcoming, detail)


def progress_words(progress) -> str:
    """A guide's recordings in one line: "9 de 14 secciones grabadas, 2 desactualizadas"."""
    words = ngettext(
        "%(recorded)s de %(total)s sección grabada",
        "%(recorded)s de %(total)s secciones grabadas",
        progress.total,
    ) % {"recorded": progress.recorded, "total": progress.total}
    if progress.stale:
        words += ", " + ngettext(
            "%(stale)s desactualizada", "%(stale)s desactualizadas", progress.stale
        ) % {"stale": progress.stale}
    return words
