from wagtail import hooks
from wagtail.rich_text import FeatureRegistry
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from .models import Organization
from .rich_text import PublicPageLinkHandler


class OrganizationViewSet(SnippetViewSet):
    model = Organization
    icon = "group"
    menu_label = "Organizaciones"
    menu_order = 200
    add_to_admin_menu = True
    list_display = ["name", "area", "verified_on"]
    search_fields = ["name"]


register_snippet(OrganizationViewSet)


# After Wagtail's own (order 0): replaces its "page" link handler, which links to
# any page, public or not (see cms.rich_text).
@hooks.register("register_rich_text_features", order=100)
def register_public_page_links(features: FeatureRegistry) -> None:
    features.register_link_type(PublicPageLinkHandler)
