"""Create or correct the groups Editores, Traductores (en), Traductores (cak), Emisoras de radio.

Safe to run again (after `load_demo`, after adding a locale): each group ends with
exactly the permissions in cms/accounts/groups.py. Run it after `migrate` and the home pages exist.
"""

from django.core.management.base import BaseCommand

from cms.accounts.groups import setup_groups


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args, **options):
        for name in setup_groups():
            self.stdout.write(f"group: {name}")
