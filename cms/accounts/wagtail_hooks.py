"""Admin integration: the second-factor pages and the audit log's own actions."""

from collections.abc import Iterator

from django.contrib.auth.base_user import AbstractBaseUser
from django.urls import URLPattern, URLResolver, include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.widgets import Button
from wagtail.log_actions import LogActionRegistry

from . import audit, views

urlpatterns = [
    path("enrol/", views.enrol, name="enrol"),
    path("verify/", views.verify, name="verify"),
    path("recovery-codes/", views.recovery_codes, name="recovery_codes"),
    path("reset/<int:user_id>/", views.reset_account, name="reset"),
]


@hooks.register("register_admin_urls")
def register_account_urls() -> list[URLResolver]:
    return [
        path(
            "two-factor/", include((urlpatterns, "altavoz_accounts"), namespace="altavoz_accounts")
        )
    ]


@hooks.register("register_user_listing_buttons")
def reset_two_factor_button(
    user: AbstractBaseUser, request_user: AbstractBaseUser
) -> Iterator[Button]:
    """Users → an account's menu: reset a lost phone (also `manage.py reset_two_factor`)."""
    if request_user.has_perm("auth.change_user"):
        yield Button(
            _("Restablecer verificación en dos pasos"),
            reverse("altavoz_accounts:reset", args=[user.pk]),
            icon_name="key",
            priority=50,
        )


# Before wagtail-localize's own URLs (order), so this path resolves to the logging wrapper.
@hooks.register("register_admin_urls", order=-1)
def register_translation_upload_url() -> list[URLPattern]:
    return [
        path(
            "localize/translate/<int:translation_id>/pofile/upload/",
            audit.upload_translation,
            name="altavoz_upload_translation",
        )
    ]


@hooks.register("register_log_actions")
def register_log_actions(actions: LogActionRegistry) -> None:
    """Actions Wagtail does not log itself; each entry keeps the account that did it."""
    actions.register_action(
        "altavoz.two_factor_enrol",
        _("Verificación en dos pasos activada"),
        _("Verificación en dos pasos activada"),
    )
    actions.register_action(
        "altavoz.recovery_code_used",
        _("Código de recuperación usado"),
        _("Código de recuperación usado"),
    )
    actions.register_action(
        "altavoz.two_factor_reset",
        _("Verificación en dos pasos restablecida"),
        _("Verificación en dos pasos restablecida (dispositivo perdido)"),
    )
    actions.register_action(
        "altavoz.recording_upload", _("Grabación subida"), _("Grabación de una sección subida")
    )
    actions.register_action(
        "altavoz.recording_take",
        _("Grabación hecha en el estudio"),
        _("Grabación de una sección hecha en el estudio de grabación"),
    )
    actions.register_action(
        "altavoz.recording_delete",
        _("Grabación eliminada"),
        _("Grabación de una sección eliminada"),
    )
    actions.register_action(
        "altavoz.translation_upload",
        _("Traducción subida (PO)"),
        _("Traducción subida desde un archivo PO"),
    )
    actions.register_action(
        "altavoz.radio_package_download",
        _("Paquete para radio descargado"),
        _("Paquete para radio descargado"),
    )
