"""Admin requests: the second factor before anything else, and sessions that end when idle."""

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from . import two_factor

# Reachable with a password only: signing in and out, resetting a forgotten password,
# the second factor itself, and the icons and interface strings its pages load.
# Not the recovery codes page: new codes would be a way round the second factor.
OPEN_VIEWS = {
    "wagtailadmin_login",
    "wagtailadmin_logout",
    "wagtailadmin_sprite",
    "wagtailadmin_javascript_catalog",
    "altavoz_accounts:enrol",
    "altavoz_accounts:verify",
}
OPEN_PREFIXES = ("wagtailadmin_password_reset",)


class AdminAccountMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Outside the admin, a session with a password but no second factor is
        # anonymous: it must not open sign-in-restricted documents or pages either.
        # Only requests carrying a session cookie are looked at (never a visitor's).
        if (
            two_factor.required()
            and settings.SESSION_COOKIE_NAME in request.COOKIES
            and not request.path.startswith(admin_prefix())
            and request.user.is_authenticated
            and not request.user.is_verified()
        ):
            request.user = AnonymousUser()
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not request.path.startswith(admin_prefix()):
            return None  # public pages: the user (and the session) is never looked at
        user = request.user
        if not user.is_authenticated:
            return None  # Wagtail sends them to its sign-in page
        # Every admin request restarts the SESSION_COOKIE_AGE clock: an idle session ends.
        request.session.modified = True
        name = request.resolver_match.view_name if request.resolver_match else ""
        if (
            not two_factor.required()
            or user.is_verified()
            or name in OPEN_VIEWS
            or name.startswith(OPEN_PREFIXES)
        ):
            return None
        step = (
            "altavoz_accounts:verify" if two_factor.is_enrolled(user) else "altavoz_accounts:enrol"
        )
        return redirect(f"{reverse(step)}?{urlencode({'next': request.get_full_path()})}")


def admin_prefix() -> str:
    # Asked on every request; reversing cost ~8 % of an API request. The URL table
    # changes only when ROOT_URLCONF does (tests), and that clears it.
    prefix = _admin_prefix.get(settings.ROOT_URLCONF)
    if prefix is None:
        prefix = _admin_prefix[settings.ROOT_URLCONF] = reverse("wagtailadmin_home")
    return prefix


_admin_prefix: dict[str, str] = {}


@receiver(setting_changed)
def _forget_admin_prefix(setting, **kwargs):
    if setting == "ROOT_URLCONF":
        _admin_prefix.clear()
