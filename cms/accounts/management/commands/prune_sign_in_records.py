"""Delete admin sign-in records older than ALTAVOZ_SIGN_IN_RECORDS_DAYS (the audio worker does it
hourly)."""

from django.core.management.base import BaseCommand

from cms.accounts.retention import prune_sign_in_records


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args, **options):
        self.stdout.write(f"Deleted {prune_sign_in_records()} sign-in record(s).")
