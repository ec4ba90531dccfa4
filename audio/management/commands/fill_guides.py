"""``manage.py fill_guides N --throwaway``: N guide pages with described audio, for benchmarks.

Guides come from ``cms.demo.synthetic`` (varied text, three locales). Their audio
is *described*: live rendition rows as the pipeline writes them, without files,
which is all the API, the feeds and the sweeps read. Never for a real site: the
rows name files that do not exist, so the command refuses without --throwaway.
"""

from django.core.management.base import BaseCommand, CommandError

from audio.facts import AudioFacts, current_content_hash, text_key
from audio.models import Rendition
from audio.text import speech_sections
from cms.demo.synthetic import fill_guides
from cms.models import GuidePage
from cms.translations import display_version

# What described audio looks like: one MP3 and one WebM per page read by a voice.
DESCRIBED_VARIANTS = [
    ("listen", "audio/mpeg", 32000, "mp3"),
    ("lowdata", 'audio/webm; codecs="opus"', 16000, "webm"),
]
SECONDS_PER_SENTENCE = 2.5


class Command(BaseCommand):
    help = "Fill a throwaway database with N guide pages (three locales) and described audio."

    def add_arguments(self, parser):
        parser.add_argument("total", type=int, help="guide pages in all, the demo's 6 included")
        parser.add_argument(
            "--throwaway",
            action="store_true",
            help="confirm this database is a throwaway (the audio rows name no real files)",
        )

    def handle(self, *args, total, throwaway, **options):
        if not throwaway:
            raise CommandError("Only for a throwaway database: add --throwaway.")
        added = fill_guides(total)
        described = describe_audio()
        self.stdout.write(
            f"{GuidePage.objects.count()} guide pages ({added} added), "
            f"{described} renditions described."
        )


def describe_audio(languages=("es", "en")) -> int:
    """Live rendition rows (no files) for the live guides of ``languages`` lacking them."""
    pages = list(
        GuidePage.objects.live()
        .filter(locale__language_code__in=languages)
        .exclude(audio_renditions__state=Rendition.State.LIVE)
        .select_related("locale")
    )
    facts = AudioFacts.load(page.pk for page in pages)
    rows = []
    for page in pages:
        sections = speech_sections(display_version(page).object)
        offsets, start = [], 0.0
        for section in sections:
            length = SECONDS_PER_SENTENCE * len(section.sentences)
            offsets.append(
                {
                    "id": section.id,
                    "heading": section.heading,
                    "start": start,
                    "end": start + length,
                }
            )
            start += length + 1.0
        language = page.locale.language_code
        content_hash = current_content_hash(page.pk, language, sections, "espeak", "es-419", facts)
        base = f"audio/renditions/{page.pk}/{content_hash[:16]}"
        rows += [
            Rendition(
                page=page,
                variant=variant,
                engine="espeak",
                voice="es-419",
                audio=f"{base}-{variant}.{extension}",
                captions=f"{base}.vtt",
                chapters=f"{base}.chapters.json",
                mime_type=mime_type,
                bitrate=bitrate,
                duration=start,
                size_bytes=int(start * bitrate / 8),
                sha256="0" * 64,
                sections=offsets,
                content_hash=content_hash,
                # As the pipeline records it (audio.pipeline).
                text_key=text_key(
                    language, sections, "espeak", "es-419", facts.lexicons.get(language, {})
                ),
                loudness_lufs=-19.0,
                true_peak_dbtp=-1.2,
            )
            for variant, mime_type, bitrate, extension in DESCRIBED_VARIANTS
        ]
    Rendition.objects.bulk_create(rows)
    return len(rows)
