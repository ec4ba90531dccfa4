"""E-mail each guide's editors the guides and organizations due for review (cms/reviews.py).

At most once a week per account: a second run in the same week sends nothing. The audio
worker runs it with its hourly sweep, so the digest goes out in the first hour of each week
that a worker is running; ``--date`` pretends today is another day (e.g. to try it).
"""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from cms.reviews import send_review_reminders


class Command(BaseCommand):
    help = "E-mail the weekly review digest to each guide's editors (once a week)."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="today's date, YYYY-MM-DD (default: today)")

    def handle(self, *args, date=None, **options):
        today = _parse(date) if date else None
        sent = send_review_reminders(today)
        self.stdout.write(f"Sent {sent} review digest(s).")


def _parse(text):
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise CommandError(f"--date must be YYYY-MM-DD, got {text!r}") from error
