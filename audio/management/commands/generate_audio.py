from django.core.management.base import BaseCommand, CommandError
from wagtail.models import Page

from audio.jobs import WORKER_ID, request_audio, run_job, voiced_page_models
from audio.models import AudioJob


class Command(BaseCommand):
    help = (
        "Generate guide audio. Without --sync, jobs are queued for the worker "
        "(manage.py audio_worker); with --sync they run here and a line per page "
        "reports engine, sections synthesized vs cached, sections re-mastered, "
        "duration and time taken."
    )

    def add_arguments(self, parser):
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--page", type=int, help="ID of one page.")
        target.add_argument("--all", action="store_true", help="Every live guide and phone menu.")
        parser.add_argument("--locale", help="Only pages in this language (es, en, cak).")
        parser.add_argument(
            "--force", action="store_true", help="Re-master every section even if nothing changed."
        )
        parser.add_argument("--sync", action="store_true", help="Run now, in this process.")

    def handle(self, *args, page=None, all=False, locale=None, force=False, sync=False, **options):
        pages = self.pages(page, all, locale)
        failures = 0
        for target in pages:
            request_audio(target, force=force)
            label = f"{target.locale.language_code}/{target.slug} (page {target.pk})"
            if not sync:
                self.stdout.write(f"{label}: queued")
                continue
            summary = run_job(target.pk, worker=f"{WORKER_ID}:cli") or {}
            job = AudioJob.objects.get(page=target)
            if job.state == AudioJob.State.FAILED:
                failures += 1
                self.stderr.write(f"{label}: FAILED — {job.error}")
            elif job.state != AudioJob.State.READY:
                self.stdout.write(f"{label}: {job.get_state_display()} (another worker has it)")
            else:
                self.stdout.write(self.describe(label, summary))
        if failures:
            raise CommandError(f"{failures} page(s) failed; the audio that was live stays live.")

    def pages(self, page_id, all_pages, locale):
        if page_id is not None:
            page = Page.objects.filter(pk=page_id).first()
            if page is None:
                raise CommandError(f"No page with ID {page_id}.")
            pages = [page.specific]
        else:
            # Guides and the phone line's menus (audio.jobs.voiced_page_models).
            voiced = Page.objects.type(*voiced_page_models()).live().specific()
            pages = list(voiced.order_by("locale__language_code", "path"))
        if locale:
            pages = [p for p in pages if p.locale.language_code == locale]
            if not pages:
                raise CommandError(f"No matching page in locale {locale!r}.")
        return pages

    @staticmethod
    def describe(label, s):
        if s.get("not_public"):
            return (
                f"{label}: not public (draft, expired or private); nothing voiced, "
                f"{s['withdrawn']} live file(s) withdrawn"
            )
        if not s.get("sections"):
            return f"{label}: nothing to read ({s.get('engine', '-')}); no audio published"
        published = ", ".join(s["published"]) or "unchanged"
        minutes, seconds = divmod(int(s["duration"]), 60)
        encoded = s.get("segments_encoded") or {}
        remastered = (
            f" — sections re-mastered: {', '.join(f'{v} {n}' for v, n in encoded.items())}"
            if encoded
            else ""
        )
        phone = s.get("phone")
        phone_files = (
            f" — phone files: {phone['made']} made, {phone['reused']} kept" if phone else ""
        )
        return (
            f"{label}: {s['engine']} [{s['voice']}] — {s['synthesized']} synthesized, "
            f"{s['cached']} cached of {s['sections']} sections — "
            f"{minutes}:{seconds:02d} of audio — {s['seconds']:.1f} s — "
            f"published: {published}{remastered}{phone_files}"
        )
