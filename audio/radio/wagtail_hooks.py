"""Admin integration: the package page and download, and a button on every guide."""

from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.widgets import Button

from cms.models import GuidePage

from . import views

urlpatterns = [
    path("", views.stations, name="stations"),
    path("pages/<int:page_id>/package/", views.package, name="package"),
    path("pages/<int:page_id>/package/download/", views.download, name="download"),
]


@hooks.register("register_admin_urls")
def register_radio_urls():
    return [path("radio/", include((urlpatterns, "radio_admin"), namespace="radio_admin"))]


class StationsMenuItem(MenuItem):
    def is_shown(self, request):
        return views.can_download_packages(request.user)


@hooks.register("register_admin_menu_item")
def register_stations_menu_item():
    return StationsMenuItem(
        _("Paquetes para radio"), reverse("radio_admin:stations"), icon_name="download", order=800
    )


def _package_button(page, user, priority):
    if (
        issubclass(page.specific_class or type(page), GuidePage)
        and page.permissions_for_user(user).can_edit()
    ):
        yield Button(
            _("Descargar paquete para radio"),
            reverse("radio_admin:package", args=[page.pk]),
            icon_name="download",
            priority=priority,
            attrs={"data-radio-package": page.locale.language_code if page.locale_id else ""},
        )


@hooks.register("register_page_header_buttons")
def page_header_radio_button(page, user, view_name=None, next_url=None):
    yield from _package_button(page, user, priority=90)


@hooks.register("register_page_listing_more_buttons")
def page_listing_radio_button(page, user, next_url=None):
    yield from _package_button(page, user, priority=90)
