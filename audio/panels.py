from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import Panel


class AudioStatusPanel(Panel):
    """Audio status per variant, players, the voice used, and "regenerate"."""

    def __init__(self, **kwargs):
        kwargs.setdefault("heading", _("Audio"))
        super().__init__(**kwargs)

    class BoundPanel(Panel.BoundPanel):
        template_name = "audio/admin/audio_panel.html"

        def get_context_data(self, parent_context=None):
            from .status import page_audio_status

            context = super().get_context_data(parent_context)
            page = self.instance
            context["page"] = page
            context["status"] = page_audio_status(page) if page.pk else None
            return context
