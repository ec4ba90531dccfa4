from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

from cms.accounts.groups import EDITORS, STATIONS, setup_groups, translators
from cms.demo.loader import load_demo

DEMO_ADMIN = ("admin", "altavoz-demo")
# One demo account per group, to try least privilege (same password, local demos only).
DEMO_ACCOUNTS = {
    "editora": EDITORS,
    "traductora-en": translators("en"),
    "traductora-cak": translators("cak"),
    "emisora": STATIONS,
}


class Command(BaseCommand):
    help = (
        "Load the demo guides for Mixco and Patzún (Spanish, English translation, "
        "Kaqchikel submitted but empty). Safe to run again: unchanged content is not touched."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--admin",
            action="store_true",
            help=(
                f"Also create a demo superuser {DEMO_ADMIN[0]!r} and one account per group "
                "(for local demos only)."
            ),
        )

    def handle(self, *args, admin=False, **options):
        report = load_demo()
        for label, items in [
            ("created", report.created),
            ("updated", report.updated),
            ("translated", report.translated),
        ]:
            for item in items:
                self.stdout.write(f"{label}: {item}")
        if not report.changed:
            self.stdout.write("Demo content already up to date.")
        if admin:
            self.create_demo_admin()

    def create_demo_admin(self) -> None:
        username, password = DEMO_ADMIN
        User = get_user_model()
        if not User.objects.filter(username=username).exists():
            User.objects.create_superuser(username, "admin@example.invalid", password)
        self.stdout.write(
            self.style.SUCCESS(
                f"Admin: {settings.WAGTAILADMIN_BASE_URL}/admin/  "
                f"user {username!r}  password {password!r}"
            )
        )
        setup_groups()
        for account, group in DEMO_ACCOUNTS.items():
            user = User.objects.filter(username=account).first()
            if user is None:
                user = User.objects.create_user(account, password=password)
            # An address that can never be delivered to, so that the review digests
            # (cms/reviews.py) have someone to go to: the demo prints them on the console.
            user.email = user.email or f"{account}@example.invalid"
            user.save(update_fields=["email"])
            user.groups.set([Group.objects.get(name=group)])
            self.stdout.write(f"  user {account!r} (group {group}), same password")
        self.stdout.write(sign_in_instructions())


def sign_in_instructions() -> str:
    """How the demo accounts sign in, with or without the second factor."""
    if not settings.ALTAVOZ_ADMIN_2FA:
        return (
            "Two-factor sign-in is off (ALTAVOZ_ADMIN_2FA=0, as `make demo` sets it): "
            "the password is enough. Production always asks for it."
        )
    return (
        "Two-factor sign-in is on: at the first sign-in, scan the QR code with an authenticator "
        "app (or type the key shown), enter its six-digit code and keep the recovery codes."
    )
