"""What queues audio work: publishing a page, and editing the pronunciation lexicon."""

from wagtail.signals import page_published


def queue_audio_on_publish(sender, instance, **kwargs):
    from cms.models import GuidePage

    from .jobs import request_audio

    # Only guides are read aloud; home pages publish too (every locale has one).
    if issubclass(instance.specific_class or type(instance), GuidePage):
        request_audio(instance)


def connect():
    from django.db.models.signals import post_delete, post_save

    from .models import PronunciationEntry

    # page_published fires for every route: admin, API, load_demo, wagtail-localize.
    page_published.connect(queue_audio_on_publish, dispatch_uid="altavoz-audio-on-publish")
    post_save.connect(requeue_pages_using_entry, sender=PronunciationEntry, dispatch_uid="altavoz-lexicon-save")
    post_delete.connect(requeue_pages_using_entry, sender=PronunciationEntry, dispatch_uid="altavoz-lexicon-delete")


def requeue_pages_using_entry(sender, instance, **kwargs):
    """A lexicon change re-queues only the pages whose text contains the entry.

    Within those pages the clip cache re-synthesizes only the affected
    sections: the spoken text (and so the clip key) of the others is unchanged.
    """
    from cms.models import GuidePage

    from .jobs import request_audio
    from .normalize import lexicon_matches
    from .speech_text import speech_sections

    entry = {instance.written: instance.spoken}
    for page in GuidePage.objects.live().filter(locale_id=instance.locale_id):
        if any(lexicon_matches(section.text, entry) for section in speech_sections(page)):
            request_audio(page)
