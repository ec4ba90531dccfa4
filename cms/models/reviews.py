from django.conf import settings
from django.db import models
from django.utils import timezone


class ReviewReminder(models.Model):
    """A weekly review digest sent to one account (cms/reviews.py).

    The row is the guard that makes ``send_review_reminders`` idempotent per week: it is
    written before the e-mail goes out (a second run, even at the same moment, finds it)
    and removed again if sending fails, so the next run tries once more.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    week = models.DateField(help_text="Monday of the week (local time) the digest is for.")
    sent_at = models.DateTimeField(default=timezone.now)
    items = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "week"], name="one_review_digest_per_week")
        ]

    def __str__(self):
        return f"review digest for {self.user_id}, week of {self.week}"
