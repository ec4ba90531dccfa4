from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from cms.models.guide import GUIDE_AUDIO_PANEL_HOOK, GUIDE_CONTEXT_HOOK

from .admin import reach, views
from .admin.panels import audio_status_panel
from .listening import listening_audio, wants_low_data
from .models import PronunciationEntry

app_name = "altavoz_audio"
urlpatterns = [
    path("pages/<int:page_id>/regenerate/", views.regenerate, name="regenerate"),
    path("pages/<int:page_id>/recordings/", views.recordings, name="recordings"),
    path("report/", views.report, name="report"),
    path("report/alcance.csv", reach.reach_csv, name="reach_csv"),
]


@hooks.register("register_admin_urls")
def register_audio_urls():
    return [path("audio/", include((urlpatterns, "altavoz_audio"), namespace="altavoz_audio"))]


@hooks.register("register_reports_menu_item")
def register_audio_report():
    return MenuItem(
        _("Audio de las guías"), reverse("altavoz_audio:report"), icon_name="media", order=900
    )


# A guide's "Audio" tab in the editor, and what its page offers to listen to.
hooks.register(GUIDE_AUDIO_PANEL_HOOK, audio_status_panel)


@hooks.register(GUIDE_CONTEXT_HOOK)
def guide_listening_context(page, request):
    return {"audio": listening_audio(page, low_data=wants_low_data(request))}


class PronunciationViewSet(SnippetViewSet):
    model = PronunciationEntry
    icon = "openquote"
    menu_label = _("Pronunciación")
    add_to_admin_menu = True
    menu_order = 210
    list_display = ["written", "spoken", "locale"]
    list_filter = ["locale"]
    search_fields = ["written", "spoken"]


register_snippet(PronunciationViewSet)
