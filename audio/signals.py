"""What queues audio work: publishing a page, and editing the pronunciation lexicon."""

from wagtail.signals import page_published


def queue_audio_on_publish(sender, instance, **kwargs):
    from cms.models import GuidePage

    from .jobs import request_audio

    # Only guides are read aloud; home pages publish too (every locale has one).
    if issubclass(instance.specific_class or type(instance), GuidePage):
        request_audio(instance)


def connect():
    from django.db.models.signals import post_delete, post_save, pre_save

    from .models import PronunciationEntry

    # page_published fires for every route: admin, API, load_demo, wagtail-localize.
    page_published.connect(queue_audio_on_publish, dispatch_uid="altavoz-audio-on-publish")
    pre_save.connect(remember_stored_form, sender=PronunciationEntry, dispatch_uid="altavoz-lexicon-before-save")
    post_save.connect(requeue_pages_using_entry, sender=PronunciationEntry, dispatch_uid="altavoz-lexicon-save")
    post_delete.connect(requeue_pages_using_entry, sender=PronunciationEntry, dispatch_uid="altavoz-lexicon-delete")


def remember_stored_form(sender, instance, **kwargs):
    """Before an entry is saved, note the written form (and locale) it had."""
    instance._stored_form = (
        sender.objects.filter(pk=instance.pk).values_list("locale_id", "written").first() if instance.pk else None
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
    from cms.models import GuidePage

    from .jobs import request_audio
    from .normalize import lexicon_matches
    from .speech_text import speech_sections

    for page in GuidePage.objects.live().filter(locale_id=locale_id):
        if any(lexicon_matches(section.text, entry) for section in speech_sections(page)):
            request_audio(page)
