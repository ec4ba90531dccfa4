from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from .models import Organization


class OrganizationViewSet(SnippetViewSet):
    model = Organization
    icon = "group"
    menu_label = "Organizaciones"
    menu_order = 200
    add_to_admin_menu = True
    list_display = ["name", "area", "verified_on"]
    search_fields = ["name"]


register_snippet(OrganizationViewSet)
