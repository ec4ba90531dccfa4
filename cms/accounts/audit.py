"""Log entries for actions Wagtail and wagtail-localize do not log themselves.

Wagtail logs publishes, unpublishes, edits (lexicon snippets included) and the
pages wagtail-localize creates for a translation, with the account (admin
views run inside a LogContext). Our own views (recordings, radio downloads)
call ``wagtail.log_actions.log``; a PO upload is logged here by wrapping
wagtail-localize's view at its own URL.
"""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from wagtail.log_actions import log
from wagtail_localize.models import Translation
from wagtail_localize.views.edit_translation import upload_pofile


def upload_translation(request: HttpRequest, translation_id: int) -> HttpResponse:
    """wagtail-localize's PO upload, then an audit entry on the translated page if it worked."""
    response = upload_pofile(request, translation_id)
    if request.method == "POST" and response.status_code == 302 and not had_errors(request):
        translation = Translation.objects.filter(pk=translation_id).first()
        target = translation and translation.get_target_instance()
        if target is not None:
            log(
                target,
                "altavoz.translation_upload",
                user=request.user,
                data={"locale": translation.target_locale.language_code},
            )
    return response


def had_errors(request: HttpRequest) -> bool:
    storage = messages.get_messages(request)
    errors = any(message.level >= messages.ERROR for message in storage)
    storage.used = False  # still shown on the next page
    return errors
