"""Signal receivers that keep the API's caches honest.

Most changes are also visible to the content token's aggregates (see
``state``); these receivers make them visible *at once* in this process, and
bump the content version for the changes the aggregates cannot see.
"""

from django.db.models.signals import post_delete, post_save
from wagtail.signals import page_published, page_unpublished

from . import state

# Changes that also move one of the token's aggregates: forgetting the token
# is enough.
_SEEN_BY_AGGREGATES = [
    "wagtailcore.PageViewRestriction",
    "audio.Rendition",
    "audio.AudioJob",
    "audio.SectionRecording",
]
# Changes no aggregate sees: bump the content version.
_UNSEEN_BY_AGGREGATES = ["cms.Organization", "wagtailcore.Locale", "wagtailcore.Site"]


def content_changed(**kwargs):
    state.forget()


def content_changed_unseen(**kwargs):
    state.bump()


def page_deleted(sender, instance, **kwargs):
    from wagtail.models import Page

    if isinstance(instance, Page):
        state.forget()


def connect():
    from django.apps import apps
    from wagtail.signals import post_page_move

    page_published.connect(content_changed, dispatch_uid="altavoz-api-page-published")
    page_unpublished.connect(content_changed, dispatch_uid="altavoz-api-page-unpublished")
    post_delete.connect(page_deleted, dispatch_uid="altavoz-api-page-deleted")
    post_page_move.connect(content_changed_unseen, dispatch_uid="altavoz-api-page-moved")
    for label in _SEEN_BY_AGGREGATES:
        model = apps.get_model(label)
        post_save.connect(content_changed, sender=model, dispatch_uid=f"altavoz-api-save-{label}")
        post_delete.connect(
            content_changed, sender=model, dispatch_uid=f"altavoz-api-delete-{label}"
        )
    for label in _UNSEEN_BY_AGGREGATES:
        model = apps.get_model(label)
        post_save.connect(
            content_changed_unseen, sender=model, dispatch_uid=f"altavoz-api-save-{label}"
        )
        post_delete.connect(
            content_changed_unseen, sender=model, dispatch_uid=f"altavoz-api-delete-{label}"
        )
