"""Sign-in records are kept only as long as they are useful (ALTAVOZ_SIGN_IN_RECORDS_DAYS).

django-axes stores failed admin sign-ins (account, address, browser) and successful
ones; nothing else about anyone is recorded. The worker's hourly sweep calls this.
"""

from datetime import datetime, timedelta

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.utils import timezone


def prune_sign_in_records(now: datetime | None = None) -> int:
    """Delete sign-in records older than the retention; returns how many went."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.ALTAVOZ_SIGN_IN_RECORDS_DAYS)
    removed = 0
    for model in (AccessAttempt, AccessLog, AccessFailureLog):
        removed += model.objects.filter(attempt_time__lt=cutoff).delete()[0]
    return removed
