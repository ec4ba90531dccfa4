from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.action_menu import ActionMenuItem
from wagtail.admin.ui.components import Component
from wagtail.log_actions import log
from wagtail.rich_text import FeatureRegistry
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from . import reviews
from .models import GuidePage, Organization
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


# --- Review reminders (cms/reviews.py) ---------------------------------------------------

MARK_REVIEWED_ACTION = "action-publish-reviewed"


class ReviewDuePanel(Component):
    """Admin home: the guides and organizations the account may edit that are due for review."""

    name = "altavoz_review_due"
    template_name = "cms/reviews/home_panel.html"
    order = 50

    def get_context_data(self, parent_context):
        guides, organizations = reviews.for_user(
            parent_context["request"].user, reviews.due_guides(), reviews.due_organizations()
        )
        return {
            "guides": guides,
            "organizations": organizations,
            "guide_months": settings.ALTAVOZ_GUIDE_REVIEW_MONTHS,
            "organization_months": settings.ALTAVOZ_ORGANIZATION_REVIEW_MONTHS,
        }


@hooks.register("construct_homepage_panels")
def add_review_due_panel(request, panels):
    panels.append(ReviewDuePanel())


class PublishReviewedMenuItem(ActionMenuItem):
    """Publish menu: publish a guide and set its "last reviewed" date to today in one click."""

    label = _("Publicar y marcar revisada hoy")
    name = MARK_REVIEWED_ACTION
    icon_name = "tick"

    def is_shown(self, context):
        page = context.get("page")
        return (
            context["view"] == "edit"
            and isinstance(page, GuidePage)
            and not context["locked_for_user"]
            and self.get_user_page_permissions_tester(context).can_publish()
        )


@hooks.register("register_page_action_menu_item")
def register_publish_reviewed_menu_item():
    return PublishReviewedMenuItem(order=15)


@hooks.register("before_edit_page")
def mark_reviewed_before_publishing(request, page):
    """The menu item posts its own action: the form gets today's date and Wagtail publishes as
    with "Publicar" (same validation, revision and log entry)."""
    if request.method != "POST" or not request.POST.get(MARK_REVIEWED_ACTION):
        return
    if (
        not isinstance(page.specific, GuidePage)
        or not page.permissions_for_user(request.user).can_publish()
    ):
        return
    data = request.POST.copy()
    data["last_reviewed"] = timezone.localdate().isoformat()
    data["action-publish"] = "action-publish"
    request.POST = data
    request.altavoz_marked_reviewed = True


@hooks.register("after_publish_page")
def log_marked_reviewed(request, page):
    if getattr(request, "altavoz_marked_reviewed", False):
        log(
            page,
            "altavoz.mark_reviewed",
            user=request.user,
            data={"last_reviewed": page.specific.last_reviewed.isoformat()},
        )


@hooks.register("register_log_actions")
def register_review_log_action(actions):
    actions.register_action(
        "altavoz.mark_reviewed",
        _("Marcada revisada hoy"),
        _("Publicada y marcada revisada hoy"),
    )
