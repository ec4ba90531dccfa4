from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.models import Page

from ..translations import display_version


class HomePage(Page):
    """The root of one locale: lists that locale's guides."""

    intro = models.TextField(_("introducción"), blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    subpage_types = ["cms.GuidePage"]
    parent_page_types = ["wagtailcore.Page"]

    class Meta:
        verbose_name = _("inicio")

    def get_context(self, request, *args, **kwargs):
        from .guide import GuidePage

        context = super().get_context(request, *args, **kwargs)
        context["content"] = display_version(self)
        guides = GuidePage.objects.child_of(self).live().public().order_by("title")
        context["guides"] = [display_version(guide) for guide in guides]
        return context
