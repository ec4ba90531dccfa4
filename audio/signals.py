"""What queues or withdraws audio: publishing, hiding or moving a page, and editing the lexicon.

Files follow their page: every route that hides a page from the public
(unpublish in the admin, the API or a command, scheduled expiry, a view
restriction on it or an ancestor, a move under a private parent) withdraws
its live audio at once, through these receivers; a page that becomes public
again gets its audio queued.
"""

from django.db.models.signals import post_delete, post_save, pre_save
from wagtail.models import Page, PageViewRestriction
from wagtail.signals import page_published, page_unpublished, post_page_move

from cms import visibility

from .jobs import is_voiced, request_audio, voiced_page_models
from .models import PronunciationEntry
from .phone_files import withdraw_phone_audio
from .publishing import withdraw_renditions
from .text import lexicon_matches, speech_sections


def queue_audio_on_publish(sender, instance, **kwargs):
    # Only guides and the phone line's menus are read aloud; home pages publish too.
    if is_voiced(instance.specific_class or type(instance)):
        request_audio(instance)


def follow_visibility(pages):
    """Withdraw the audio of the voiced pages among ``pages`` hidden now; queue the others'."""
    ids = [page.pk for page in pages]
    guides = list(Page.objects.type(*voiced_page_models()).filter(pk__in=ids))
    public = {
        page.pk
        for page in visibility.public_pages(Page.objects.filter(pk__in=[g.pk for g in guides]))
    }
    hidden = [guide.pk for guide in guides if guide.pk not in public]
    withdraw_renditions(hidden)
    withdraw_phone_audio(hidden)
    for guide in guides:
        if guide.pk in public and not _has_live_audio(guide):
            request_audio(guide)


def _has_live_audio(page):
    return (
        page.audio_renditions.filter(state="live").exists()
        or page.phone_audio.filter(state="live").exists()
    )


def subtree(page):
    return Page.objects.descendant_of(page, inclusive=True)


def on_unpublish(sender, instance, **kwargs):
    follow_visibility([instance])


def on_restriction_change(sender, instance, **kwargs):
    follow_visibility(subtree(instance.page))


def on_move(sender, instance, **kwargs):
    follow_visibility(subtree(instance))


def connect():
    # page_published fires for every route: admin, API, load_demo, wagtail-localize.
    page_published.connect(queue_audio_on_publish, dispatch_uid="altavoz-audio-on-publish")
    # page_unpublished too, and for scheduled expiry (publish_scheduled).
    page_unpublished.connect(on_unpublish, dispatch_uid="altavoz-audio-on-unpublish")
    post_save.connect(
        on_restriction_change, sender=PageViewRestriction, dispatch_uid="altavoz-audio-restricted"
    )
    post_delete.connect(
        on_restriction_change, sender=PageViewRestriction, dispatch_uid="altavoz-audio-unrestricted"
    )
    post_page_move.connect(on_move, dispatch_uid="altavoz-audio-on-move")
    pre_save.connect(
        remember_stored_form, sender=PronunciationEntry, dispatch_uid="altavoz-lexicon-before-save"
    )
    post_save.connect(
        requeue_pages_using_entry, sender=PronunciationEntry, dispatch_uid="altavoz-lexicon-save"
    )
    post_delete.connect(
        requeue_pages_using_entry, sender=PronunciationEntry, dispatch_uid="altavoz-lexicon-delete"
    )


def remember_stored_form(sender, instance, **kwargs):
    """Before an entry is saved, note the written form (and locale) it had."""
    instance._stored_form = (
        sender.objects.filter(pk=instance.pk).values_list("locale_id", "written").first()
        if instance.pk
        else None
    )


def requeue_pages_using_entry(sender, instance, **kwargs):
    """A lexicon change re-queues only the pages whose text contains the entry.

    Within those pages the clip cache re-synthesizes only the affected
    sections: the spoken text (and so the clip key) of the others is unchanged.
    When an edit changed the written form (or locale), pages with the old form
    are re-queued too: their audio still says it the old way.
    """
    forms = {(instance.locale_id, instance.written)}
    stored = getattr(instance, "_stored_form", None)
    if stored is not None:
        forms.add(stored)
    for locale_id, written in forms:
        _requeue_pages_using(locale_id, {written: instance.spoken})


def _requeue_pages_using(locale_id, entry):
    voiced = Page.objects.type(*voiced_page_models()).live().filter(locale_id=locale_id)
    for page in voiced.specific():
        if any(lexicon_matches(section.text, entry) for section in speech_sections(page)):
            request_audio(page)
