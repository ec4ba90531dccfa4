from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Editors' accounts: two-factor sign-in, lockout, admin sessions, groups and the audit log."""

    name = "cms.accounts"
    label = "altavoz_accounts"
    verbose_name = "Altavoz accounts"
