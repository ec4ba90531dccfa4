from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.models import Page

from .. import visibility
from .guide import GuidePage
from .public import PublishedContentMixin


class HomePage(PublishedContentMixin, Page):
    """The root of one locale: lists that locale's guides."""

    intro = models.TextField(_("introducción"), blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    # The phone line's menu (audio.phone) lives beside the guides, one per home page.
    subpage_types = ["cms.GuidePage", "phone.PhoneMenuPage"]
    parent_page_types = ["wagtailcore.Page"]

    class Meta:
        verbose_name = _("inicio")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["content"] = self.displayed()
        guides = visibility.public_versions(GuidePage.objects.child_of(self).order_by("title"))
        context["guides"] = guides
        return context
