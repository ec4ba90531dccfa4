"""Admin integration: the phone line's report under Informes."""

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from .report import phone_report


@hooks.register("register_admin_urls")
def register_phone_urls():
    return [path("telefono/informe/", phone_report, name="phone_report")]


@hooks.register("register_reports_menu_item")
def register_phone_report():
    return MenuItem(
        _("Línea telefónica"), reverse("phone_report"), icon_name="mobile-alt", order=910
    )
