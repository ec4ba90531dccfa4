"""Forget an account's authenticator and recovery codes (a lost phone): it enrols again at next
sign-in."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from cms.accounts import two_factor


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No account named {username!r}.")
        # Check who is asking before running this: it lets the next person with the password enrol.
        two_factor.reset(user)
        self.stdout.write(
            f"Two-factor sign-in reset for {username!r}: they enrol again at their next sign-in."
        )
