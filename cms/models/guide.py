from django.db import models
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.panels import FieldPanel, MultiFieldPanel, ObjectList, TabbedInterface
from wagtail.fields import StreamField
from wagtail.models import Page
from wagtail.search import index
from wagtail.snippets.blocks import SnippetChooserBlock

from ..blocks import GuideSectionsBlock
from ..panels import HookPanel
from ..translations import display_versions
from .public import PublishedContentMixin

# Wagtail hooks through which the audio app fills a guide's editor tab and page context.
GUIDE_AUDIO_PANEL_HOOK = "altavoz_guide_audio_panel"
GUIDE_CONTEXT_HOOK = "altavoz_guide_context"
# The API's content token (cms/api/state.py), which changes whenever anything public does:
# other apps key their own caches on it without importing the API.
CONTENT_TOKEN_HOOK = "altavoz_content_token"
# What a GUIDE_CONTEXT_HOOK adds under this name is what the guide's rendered body depends
# on besides the page (audio: its renditions); cms/guide_body.py keys the body on it.
GUIDE_BODY_VARIES_ON = "guide_body_varies_on"


class GuidePage(PublishedContentMixin, Page):
    """A harm-reduction guide for one municipality, in sections."""

    place_name = models.CharField(_("lugar"), max_length=100)
    department = models.CharField(_("departamento"), max_length=100)
    summary = models.TextField(
        _("resumen"), help_text=_("Dos o tres frases cortas: de qué trata y para quién.")
    )
    last_reviewed = models.DateField(_("revisada por última vez"))
    discreet_title = models.CharField(
        _("título discreto"),
        max_length=60,
        help_text=_(
            "Título neutro para la pestaña del navegador y los enlaces compartidos: "
            "no debe revelar el tema."
        ),
    )
    sections = StreamField(GuideSectionsBlock(), verbose_name=_("secciones"))
    organizations = StreamField(
        [("organization", SnippetChooserBlock("cms.Organization"))],
        blank=True,
        verbose_name=_("organizaciones"),
    )

    content_panels = Page.content_panels + [
        MultiFieldPanel([FieldPanel("place_name"), FieldPanel("department")], heading=_("Lugar")),
        FieldPanel("summary"),
        FieldPanel("last_reviewed"),
        FieldPanel("sections"),
        FieldPanel("organizations"),
    ]
    promote_panels = Page.promote_panels + [FieldPanel("discreet_title")]
    edit_handler = TabbedInterface(
        [
            ObjectList(content_panels, heading=_("Contenido")),
            ObjectList(promote_panels, heading=_("Promoción")),
            ObjectList(Page.settings_panels, heading=_("Configuración")),
            ObjectList([HookPanel(GUIDE_AUDIO_PANEL_HOOK)], heading=_("Audio")),
        ]
    )

    search_fields = Page.search_fields + [
        index.SearchField("summary"),
        index.SearchField("sections"),
    ]

    parent_page_types = ["cms.HomePage"]
    subpage_types = []

    class Meta:
        verbose_name = _("guía")
        verbose_name_plural = _("guías")

    def get_context(self, request, *args, **kwargs):
        # Imported here: guide_body reads this module's hook names.
        from ..guide_body import BODY_SECONDS, CACHE_ALIAS, body_cache_key

        context = super().get_context(request, *args, **kwargs)
        content = self.displayed()
        context["content"] = content
        # What other apps offer with the page (audio adds "audio"): hooks keep
        # cms free of imports from them (see .importlinter).
        varies_on = []
        for add_context in hooks.get_hooks(GUIDE_CONTEXT_HOOK):
            added = dict(add_context(self, request))
            varies_on.extend(added.pop(GUIDE_BODY_VARIES_ON, ()))
            context.update(added)
        # Looked up only when the body is rendered, not when it comes from the cache.
        context["organizations"] = SimpleLazyObject(
            lambda: display_versions(
                block.value for block in content.object.organizations if block.value is not None
            )
        )
        context["body_cache"] = {
            "key": body_cache_key(self, content, varies_on),
            "seconds": BODY_SECONDS,
            "alias": CACHE_ALIAS,
        }
        return context
