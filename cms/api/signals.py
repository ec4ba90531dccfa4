"""Signal receivers that keep the API's caches honest, connected from ``dependencies``.

Most changes are also visible to the content token's aggregates (see
``state``); the ``forget_on`` receivers make them visible *at once* in this
process, and the ``bump_on`` ones bump the content version for the changes
the aggregates cannot see.
"""

from collections.abc import Callable

from django.apps import apps
from django.db.models.signals import post_delete, post_save
from wagtail.signals import page_published, page_unpublished, post_page_move

from . import state
from .dependencies import DEPENDENCIES


def content_changed(**kwargs) -> None:
    state.forget()


def content_changed_unseen(**kwargs) -> None:
    state.bump()


SIGNALS = {
    "post_save": post_save,
    "post_delete": post_delete,
    "page_published": page_published,
    "page_unpublished": page_unpublished,
    "post_page_move": post_page_move,
}


def _receiver(model: type, action: Callable[..., None]) -> Callable[..., None]:
    """``action`` for the signals about ``model`` or its subclasses (a GuidePage is a Page).

    Connected without a sender: Wagtail sends page signals with the page's
    specific class, so one receiver covers every page type.
    """

    def receive(sender, instance=None, **kwargs) -> None:
        if isinstance(instance, model):
            action(sender=sender, instance=instance, **kwargs)

    return receive


def connect() -> None:
    """Connect the receivers ``dependencies`` asks for (from ``ApiConfig.ready``: models loaded)."""
    for dependency in DEPENDENCIES:
        model = apps.get_model(dependency.model)
        for names, action in (
            (dependency.forget_on, content_changed),
            (dependency.bump_on, content_changed_unseen),
        ):
            for name in names:
                # weak=False: the receiver is a closure nothing else holds.
                SIGNALS[name].connect(
                    _receiver(model, action),
                    weak=False,
                    dispatch_uid=f"altavoz-api-{name}-{dependency.model}",
                )
