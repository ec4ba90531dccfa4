"""Admin views for the second factor and the lockout message. Thin: rules are in ``two_factor``."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import two_factor


def enrol(request: HttpRequest) -> HttpResponse:
    """First sign-in: scan the QR code (or type the key), confirm with a code, keep the recovery
    codes."""
    if two_factor.is_enrolled(request.user) and not request.user.is_verified():
        return redirect(f"{reverse('altavoz_accounts:verify')}?{request.GET.urlencode()}")
    error = ""
    if request.method == "POST":
        device = two_factor.pending_device(request, fresh=False)
        codes = device and two_factor.confirm(request, device, request.POST.get("token", ""))
        if codes:
            return TemplateResponse(
                request,
                "accounts/recovery_codes.html",
                {"codes": codes, "next": safe_next(request), "title": _("Códigos de recuperación")},
            )
        error = _(
            "Ese código no es válido. "
            "Escriba el código de seis cifras que muestra la aplicación ahora."
        )
        if device is not None:  # a wrong code: the same key again, so the app's entry still fits
            return enrol_page(request, device, error)
    return enrol_page(request, two_factor.pending_device(request, fresh=True), error)


def enrol_page(request: HttpRequest, device: TOTPDevice, error: str) -> TemplateResponse:
    return TemplateResponse(
        request,
        "accounts/enrol.html",
        {
            "qr_svg": two_factor.qr_svg(device),
            "secret": two_factor.secret_text(device),
            "error": error,
            "next": safe_next(request),
            "title": _("Activar la verificación en dos pasos"),
        },
    )


def verify(request: HttpRequest) -> HttpResponse:
    """Every sign-in: a code from the authenticator app, or one of the recovery codes."""
    if not two_factor.is_enrolled(request.user):
        return redirect(f"{reverse('altavoz_accounts:enrol')}?{request.GET.urlencode()}")
    error = ""
    if request.method == "POST":
        if two_factor.verify(request, request.POST.get("token", "")):
            return redirect(safe_next(request))
        error = _(
            "Ese código no es válido o ya se usó. Espere unos segundos y vuelva a intentarlo."
        )
    return TemplateResponse(
        request,
        "accounts/verify.html",
        {"error": error, "next": safe_next(request), "title": _("Verificación en dos pasos")},
    )


def recovery_codes(request: HttpRequest) -> TemplateResponse:
    """New recovery codes (the old ones stop working), for a verified user who used or lost
    theirs."""
    if request.method != "POST":
        return TemplateResponse(
            request,
            "accounts/recovery_codes.html",
            {"codes": None, "title": _("Códigos de recuperación")},
        )
    codes = two_factor.new_recovery_codes(request.user)
    return TemplateResponse(
        request,
        "accounts/recovery_codes.html",
        {
            "codes": codes,
            "next": reverse("wagtailadmin_home"),
            "title": _("Códigos de recuperación"),
        },
    )


def reset_account(request: HttpRequest, user_id: int) -> HttpResponse:
    """An administrator forgets an account's authenticator and recovery codes (a lost phone)."""
    if not request.user.has_perm("auth.change_user"):
        raise PermissionDenied
    account = get_object_or_404(get_user_model(), pk=user_id)
    if request.method == "POST":
        two_factor.reset(account, by=request.user)
        messages.success(
            request,
            _("Verificación en dos pasos restablecida: %(user)s la activará de nuevo al entrar.")
            % {"user": account.get_username()},
        )
        return redirect("wagtailusers_users:index")
    return TemplateResponse(
        request,
        "accounts/reset.html",
        {
            "account": account,
            "title": _("Restablecer la verificación en dos pasos de %(user)s")
            % {"user": account.get_username()},
        },
    )


def locked_out(
    request: HttpRequest,
    response: HttpResponse | None = None,
    credentials: dict | None = None,
) -> HttpResponse:
    """What django-axes answers once an account or a client is locked out (HTTP 429)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    # Rendered now: it replaces the response after the middleware that renders templates.
    return render(
        request,
        "accounts/locked_out.html",
        {"minutes": minutes, "title": _("Acceso bloqueado")},
        status=429,
    )


def safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("wagtailadmin_home")
