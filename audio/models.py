"""What the audio pipeline stores.

- ``PronunciationEntry``: the editors' lexicon, per locale.
- ``SectionClip``: the synthesis cache — one section's speech for one voice.
- ``MasteredSegment``: the mastering cache — one clip mastered and encoded for one variant.
- ``Rendition``: a published (or retired) audio file of a whole page, per variant.
- ``PhoneAudio``: one section's file for the phone line, per phone variant (``audio.phone_files``).
- ``AudioJob``: the generation status of one page (one locale), the queue's unit.
- ``SectionRecording``: a human recording of one section (the only Kaqchikel source).
- ``PublishedVersion``: what changed, section by section, each time a page's public
  text or audio changed (``audio.changes``).
- ``ReachCount``: daily totals of plays, saves, downloads and feed fetches (no one's details).
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.models import Locale, Page


def storable_figure(value: float | None) -> float | None:
    """A measured loudness or peak as a figure field holds it: silence measures -inf,
    which no database column takes, so it is stored as unknown (null)."""
    return value if value is not None and abs(value) != float("inf") else None


class PronunciationEntry(models.Model):
    """Written form → spoken form, applied before the built-in normalizer rules."""

    locale = models.ForeignKey(
        Locale, on_delete=models.CASCADE, related_name="+", verbose_name=_("idioma")
    )
    written = models.CharField(_("se escribe"), max_length=100)
    spoken = models.CharField(_("se dice"), max_length=200)
    note = models.CharField(_("nota"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("pronunciación")
        verbose_name_plural = _("pronunciaciones")
        ordering = ["locale", "written"]
        constraints = [
            models.UniqueConstraint(
                fields=["locale", "written"], name="unique_pronunciation_per_locale"
            )
        ]

    def __str__(self):
        return f"{self.written} → {self.spoken}"

    def clean(self):
        self.written = self.written.strip()
        self.spoken = self.spoken.strip()
        if not self.written or not self.spoken:
            raise ValidationError(_("Escriba la forma escrita y la forma hablada."))


class SectionClip(models.Model):
    """Cached speech of one section, keyed by everything that changes its sound."""

    key = models.CharField(max_length=64, unique=True)
    engine = models.CharField(max_length=20)
    voice = models.CharField(max_length=100)
    audio = models.FileField(upload_to="audio/clips/")
    # [[index of the displayed sentence, start, end], ...] in seconds.
    sentence_spans = models.JSONField(default=list)
    duration = models.FloatField()
    created_at = models.DateTimeField(default=timezone.now)
    # Moved on every use; cache eviction removes what no rendition needs and
    # nothing used for ALTAVOZ_AUDIO_CACHE_DAYS.
    used_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self):
        return f"{self.engine}/{self.voice} {self.key[:12]}"


class MasteredSegment(models.Model):
    """One section clip mastered and encoded on its own for one variant.

    Renditions are these segments joined without re-encoding (see
    ``audio.segments``). Sample counts are at the variant's rate: silence,
    the clip, silence up to ``samples``.
    """

    key = models.CharField(max_length=64, unique=True)
    clip_key = models.CharField(max_length=64)
    variant = models.CharField(max_length=30)
    engine = models.CharField(max_length=20)
    voice = models.CharField(max_length=100)
    audio = models.FileField(upload_to="audio/segments/", max_length=255)
    lead_samples = models.PositiveIntegerField()
    clip_samples = models.PositiveIntegerField()
    samples = models.PositiveIntegerField()
    # What went into the encoder: its loudness (null: silence), and the limiter's ceiling.
    encoded_lufs = models.FloatField(null=True)
    limit_dbtp = models.FloatField()
    # As a player decodes it (``mastering.read_segment``): loudness, true peak
    # and the K-weighted energy of each 100 ms hop (float64, little-endian),
    # from which a joined file's loudness is reckoned without decoding it.
    loudness_lufs = models.FloatField(null=True)
    true_peak_dbtp = models.FloatField(null=True)
    hop_energies = models.BinaryField(null=True)
    # What encoding did to its loudness: later segments of the voice aim by it.
    codec_change_lu = models.FloatField(null=True)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["variant", "engine", "voice", "created_at"])]

    def __str__(self):
        return f"{self.variant} {self.engine}/{self.voice} {self.key[:12]}"


class Rendition(models.Model):
    """One audio file of a whole page for one variant (listen, lowdata, ...).

    A rendition is built in full, files and all, then made live in one
    transaction that retires the previous one. Retired files stay on disk for a
    grace period so clients mid-download finish; then cleanup removes them.
    """

    class State(models.TextChoices):
        LIVE = "live", _("publicado")
        RETIRED = "retired", _("retirado")

    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="audio_renditions")
    variant = models.CharField(max_length=30)
    state = models.CharField(max_length=10, choices=State.choices, default=State.LIVE)
    engine = models.CharField(max_length=20)
    voice = models.CharField(max_length=100)
    audio = models.FileField(upload_to="audio/renditions/", max_length=255)
    captions = models.FileField(upload_to="audio/renditions/", max_length=255, blank=True)
    chapters = models.FileField(upload_to="audio/renditions/", max_length=255)
    mime_type = models.CharField(max_length=60)
    bitrate = models.PositiveIntegerField(null=True)
    duration = models.FloatField()
    size_bytes = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    # [{"id", "heading", "start", "end"}] in seconds, in reading order.
    sections = models.JSONField(default=list)
    # Hash of the clip keys it was made from: differs from the page's current
    # content hash when the text, voice or lexicon changed since (stale).
    content_hash = models.CharField(max_length=64)
    # Digest of what that hash was computed from before normalizing (sentences, language,
    # voice, lexicon, normalizer version; ``facts.text_key``): while it still matches, the
    # rendition is current without normalizing the guide again (a fresh process's first
    # API build at 600 guides spent 46 of its 55 s doing that). Empty for recordings.
    text_key = models.CharField(max_length=64, blank=True, default="")
    # The cached clips and segments it was made from, which cache eviction
    # keeps while the rendition is live or in its grace period.
    clip_keys = models.JSONField(default=list, blank=True)
    segment_keys = models.JSONField(default=list, blank=True)
    loudness_lufs = models.FloatField(null=True)
    true_peak_dbtp = models.FloatField(null=True)
    generated_at = models.DateTimeField(default=timezone.now)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["page", "variant"],
                condition=Q(state="live"),
                name="one_live_rendition_per_variant",
            )
        ]
        indexes = [models.Index(fields=["state", "generated_at"])]

    def __str__(self):
        return f"{self.page_id} {self.variant} ({self.state})"


class PhoneAudio(models.Model):
    """One section of a page in one telephone format (phone, phone-ulaw), for the phone line.

    Made by the audio job with the page's renditions (``audio.phone_files``): all of a
    page's files are written, then one transaction retires its live rows and inserts the
    new ones. Retired files stay downloadable for the grace period, as renditions' do.
    The file is named by the clip it was mastered from, so an unchanged section keeps it.
    """

    State = Rendition.State

    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="phone_audio")
    # The section's block id ("intro" for the title and summary), and its place in reading order.
    section_id = models.CharField(max_length=64)
    position = models.PositiveIntegerField()
    variant = models.CharField(max_length=30)
    audio = models.FileField(upload_to="audio/phone/", max_length=255)
    duration = models.FloatField()
    # The section clip (``SectionClip.key``, a content hash) it was mastered from.
    clip_key = models.CharField(max_length=64)
    sha256 = models.CharField(max_length=64)
    size_bytes = models.PositiveBigIntegerField()
    loudness_lufs = models.FloatField(null=True)
    true_peak_dbtp = models.FloatField(null=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.LIVE)
    retired_at = models.DateTimeField(null=True, blank=True)
    generated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["page", "position", "variant"],
                condition=Q(state="live"),
                name="one_live_phone_file_per_section_and_variant",
            )
        ]
        indexes = [models.Index(fields=["page", "state"])]

    def __str__(self):
        return f"{self.page_id} {self.section_id} {self.variant} ({self.state})"


class AudioJob(models.Model):
    """Generation status of one page's audio; at most one queued task per page.

    ``requested_at`` moves on every publish. A worker records ``started_at``;
    if a request arrives while it runs, the worker runs again when done, so
    repeated publishes collapse into at most one extra run.
    """

    class State(models.TextChoices):
        QUEUED = "queued", _("en cola")
        RUNNING = "running", _("generando")
        READY = "ready", _("listo")
        FAILED = "failed", _("falló")

    page = models.OneToOneField(Page, on_delete=models.CASCADE, related_name="audio_job")
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    requested_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=100, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    force = models.BooleanField(default=False)
    error = models.TextField(blank=True)
    # What the last run did, shown to editors: engine, voice, counts, seconds.
    summary = models.JSONField(default=dict, blank=True)

    def __str__(self):
        return f"audio job for page {self.page_id}: {self.state}"


class SectionRecording(models.Model):
    """A human recording of one section of a page (by section block id).

    ``source_text_hash`` is the source-language section's speech text hash when
    the recording was made: when the source changes, the recording is stale.
    """

    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="section_recordings")
    section_id = models.CharField(max_length=64)
    audio = models.FileField(upload_to="audio/recordings/", max_length=255)
    original_name = models.CharField(max_length=255, blank=True)
    duration = models.FloatField()
    source_text_hash = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(default=timezone.now)
    uploaded_by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["page", "section_id"], name="one_recording_per_section")
        ]

    def __str__(self):
        return f"recording {self.page_id}/{self.section_id}"


class PublishedVersion(models.Model):
    """One public version of a page (one locale): its number and what changed since the last.

    Recorded by ``audio.changes.record_version`` when the audio job has made the
    page's audio live, so that "audio changed" describes files the public can
    already fetch. ``sections`` is what each section was in this version (heading,
    text hash, the clip its live audio was made from); ``changes`` compares it
    with the previous version's.
    """

    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="published_versions")
    number = models.PositiveIntegerField()
    # The revision whose text this version is (null once Wagtail prunes it), and the
    # previous version's.
    revision = models.ForeignKey(
        "wagtailcore.Revision", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    previous_revision = models.ForeignKey(
        "wagtailcore.Revision", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The language of the text read (a translation falling back shows its source's).
    language = models.CharField(max_length=12)
    # [{"id", "heading", "text_hash", "audio"}] in reading order.
    sections = models.JSONField(default=list)
    # [{"id", "heading", "change": "added" | "removed" | "changed", "text", "audio"}].
    changes = models.JSONField(default=list)
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["page", "number"], name="one_version_number_per_page")
        ]
        indexes = [models.Index(fields=["page", "-number"])]

    def __str__(self):
        return f"{self.page_id} v{self.number}"


class ReachCount(models.Model):
    """How many times a day a guide's audio was played, saved, fetched (``audio.reach``).

    A daily total per guide (page, locale), variant and kind, and nothing else: no
    address, no browser, no cookie, no time finer than the day, nothing that tells
    one listener from another. Feeds are per locale (``page`` empty, ``variant`` the
    feed's name).
    """

    class Kind(models.TextChoices):
        PLAY = "play", _("reproducciones")
        END = "end", _("hasta el final")
        SAVE = "save", _("guardadas sin internet")
        RADIO_PACKAGE = "radio_package", _("paquetes para radio")
        FEED = "feed", _("lecturas del feed")

    day = models.DateField()
    page = models.ForeignKey(
        Page, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    locale = models.ForeignKey(Locale, on_delete=models.CASCADE, related_name="+")
    # The rendition's variant (listen, lowdata), the package's format, or the feed's name.
    variant = models.CharField(max_length=30)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    count = models.PositiveBigIntegerField(default=0)

    class Meta:
        # One row per key and day, so that counting is one atomic UPDATE. A NULL page
        # would make rows distinct to a plain unique constraint: feeds get their own.
        constraints = [
            models.UniqueConstraint(
                fields=["day", "page", "variant", "kind"],
                condition=Q(page__isnull=False),
                name="one_reach_count_per_guide_and_day",
            ),
            models.UniqueConstraint(
                fields=["day", "locale", "variant", "kind"],
                condition=Q(page__isnull=True),
                name="one_reach_count_per_feed_and_day",
            ),
        ]

    def __str__(self):
        where = self.page_id or f"feed {self.locale_id}"
        return f"{self.day} {where} {self.variant} {self.kind}: {self.count}"
