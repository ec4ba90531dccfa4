"""The one place where Altavoz patches a library.

Django has no entry for Kaqchikel (ISO 639-3 "cak") in
``django.conf.locale.LANG_INFO``, so ``get_language_info("cak")`` raises
KeyError: Wagtail's language switchers, wagtail-localize's locale pages and the
admin account page crash on it. We add the entry in place (other modules hold
references to the same dict, so it must be mutated, not replaced).

The second half of the fix is not code: ``check_for_language("cak")`` is only
true when a compiled catalog exists, which ``site/locale/cak/LC_MESSAGES/django.mo``
provides (built by ``manage.py compile_catalogs``, committed to the repository).
Without it ``/cak/...`` is redirected to ``/es/cak/...``.
"""

from django.conf.locale import LANG_INFO

KAQCHIKEL_LANG_INFO = {
    "bidi": False,
    "code": "cak",
    "name": "Kaqchikel",
    "name_local": "Kaqchikel",
}


def apply() -> None:
    LANG_INFO.setdefault("cak", KAQCHIKEL_LANG_INFO)
