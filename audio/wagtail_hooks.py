from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from . import views
from .models import PronunciationEntry

app_name = "altavoz_audio"
urlpatterns = [
    path("pages/<int:page_id>/regenerate/", views.regenerate, name="regenerate"),
    path("pages/<int:page_id>/recordings/", views.recordings, name="recordings"),
    path("report/", views.report, name="report"),
]


@hooks.register("register_admin_urls")
def register_audio_urls():
    return [path("audio/", include((urlpatterns, "altavoz_audio"), namespace="altavoz_audio"))]


@hooks.register("register_reports_menu_item")
def register_audio_report():
    return MenuItem(
        _("Audio de las guías"), reverse("altavoz_audio:report"), icon_name="media", order=900
    )


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
