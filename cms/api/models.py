"""What the API stores: the sync log and a change counter.

``SyncRecord`` remembers every guide and rendition the API has shown, with the
time its document last changed and, once it is no longer public, the time it
went away. It is written when the API rebuilds its documents (see
``snapshot``), so it sees every cause alike — publish, unpublish, deletion, a
view restriction, an unpublished source of a fallback translation, new audio —
and syncing clients learn about removals (``?changed_since=``).

``ContentVersion`` is a counter bumped by signal handlers for changes that
leave no other trace the API can see cheaply (an organization edited, a page
moved); see ``state``.
"""

from django.db import models


class SyncRecord(models.Model):
    class Kind(models.TextChoices):
        GUIDE = "guide"
        RENDITION = "rendition"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    # Not foreign keys: a record outlives the page or rendition it describes.
    object_id = models.BigIntegerField()
    locale = models.CharField(max_length=20)
    guide_id = models.BigIntegerField()
    digest = models.CharField(max_length=64)
    changed_at = models.DateTimeField()
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="one_sync_record_per_object")
        ]
        indexes = [
            models.Index(fields=["kind", "changed_at"]),
            models.Index(fields=["kind", "removed_at"]),
        ]

    def __str__(self):
        state = f"removed {self.removed_at:%Y-%m-%d %H:%M}" if self.removed_at else "public"
        return f"{self.kind} {self.object_id} ({state})"


class ContentVersion(models.Model):
    """A single row whose ``value`` goes up whenever signals report a change."""

    value = models.BigIntegerField(default=0)

    def __str__(self):
        return f"content version {self.value}"
