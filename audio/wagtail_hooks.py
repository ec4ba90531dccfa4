from django.templatetags.static import static
from django.urls import include, path, reverse
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel, HelpPanel
from wagtail.admin.widgets import Button
from wagtail.log_actions import LogFormatter
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from cms.models.guide import GUIDE_AUDIO_PANEL_HOOK, GUIDE_CONTEXT_HOOK

from .admin import listen, reach, studio, views
from .admin.panels import audio_status_panel
from .changes import LOG_ACTION, version_summary
from .jobs import is_voiced
from .listening import listening_audio, wants_low_data
from .models import PronunciationEntry
from .voices import uses_recordings

app_name = "altavoz_audio"
urlpatterns = [
    path("pages/<int:page_id>/regenerate/", views.regenerate, name="regenerate"),
    path("pages/<int:page_id>/recordings/", views.recordings, name="recordings"),
    path("report/", views.report, name="report"),
    path("studio/<int:page_id>/", studio.studio, name="studio"),
    path("studio/<int:page_id>/<str:section_id>/", studio.studio_section, name="studio_section"),
    path("studio/<int:page_id>/<str:section_id>/keep/", studio.keep_take, name="studio_keep"),
    path("pages/<int:page_id>/listen/", listen.listen_to_draft, name="listen_draft"),
    path("lexicon/listen/", listen.listen_to_lexicon_entry, name="listen_lexicon"),
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


@hooks.register("insert_editor_js")
def listen_script():
    """ "Escuchar" on a guide's sections and on the lexicon form (the script finds which)."""
    return format_html(
        '<script src="{}" data-page-listen-url="{}" data-label-listen="{}" '
        'data-label-preparing="{}" data-label-signed-out="{}"></script>',
        static("audio/admin/listen.js"),
        reverse("altavoz_audio:listen_draft", args=[0]),
        gettext_now("Escuchar"),
        gettext_now("Preparando el audio…"),
        gettext_now("No se pudo escuchar: vuelva a iniciar sesión y recargue la página."),
    )


@hooks.register("register_log_actions")
def register_version_log(actions):
    """A page's history lists each public version with the sections it changed."""

    @actions.register_action(LOG_ACTION)
    class GuideVersionFormatter(LogFormatter):
        label = _("Nueva versión pública")

        def format_message(self, log_entry):
            data = log_entry.data or {}
            return version_summary(data.get("number", 0), data.get("changes", []), get_language())


def _studio_button(page, user, priority):
    """The recording studio, on voiced pages (guides, phone menus) read from recordings that the
    account may edit. A translation opens in wagtail-localize's editor, which has no Audio tab:
    translators reach the studio from the page's header and the page listing's menu."""
    if (
        is_voiced(page.specific_class or type(page))
        and page.locale_id
        and uses_recordings(page.locale.language_code)
        and page.permissions_for_user(user).can_edit()
    ):
        yield Button(
            _("Estudio de grabación"),
            reverse("altavoz_audio:studio", args=[page.pk]),
            icon_name="media",
            priority=priority,
            attrs={"data-recording-studio": page.locale.language_code},
        )


@hooks.register("register_page_header_buttons")
def page_header_studio_button(page, user, view_name=None, next_url=None):
    yield from _studio_button(page, user, priority=80)


@hooks.register("register_page_listing_more_buttons")
def page_listing_studio_button(page, user, next_url=None):
    yield from _studio_button(page, user, priority=80)


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
    panels = [
        FieldPanel("locale"),
        FieldPanel("written"),
        FieldPanel("spoken"),
        HelpPanel(template="audio/admin/lexicon_listen.html"),
        FieldPanel("note"),
    ]


register_snippet(PronunciationViewSet)
