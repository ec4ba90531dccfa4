"""Editor panels that other apps fill, so content models import nothing from them."""

from django.utils.safestring import mark_safe
from wagtail import hooks
from wagtail.admin.panels import Panel


class HookPanel(Panel):
    """A panel whose HTML comes from the functions registered for the Wagtail hook ``hook_name``.

    Each function takes ``(page, request)`` and returns HTML. The content model
    names the place (the guide's "Audio" tab); the app that knows what goes
    there (audio) registers the function: imports go from audio to cms only.
    """

    def __init__(self, hook_name: str, **kwargs):
        self.hook_name = hook_name
        super().__init__(**kwargs)

    def clone_kwargs(self) -> dict:
        return {**super().clone_kwargs(), "hook_name": self.hook_name}

    class BoundPanel(Panel.BoundPanel):
        def render_html(self, parent_context=None) -> str:
            parts = [render(self.instance, self.request) for render in self.panel.hooked()]
            return mark_safe("".join(parts))  # each part is rendered by its app's template

    def hooked(self) -> list:
        return hooks.get_hooks(self.hook_name)
