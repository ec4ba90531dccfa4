"""The page tree every Altavoz install needs: locales and a home page per locale."""

from django.conf import settings
from django.db import transaction
from wagtail.models import Locale, Page, Site

from .models import HomePage


def ensure_locales() -> dict[str, Locale]:
    """A wagtail Locale for every configured language (source first)."""
    return {
        code: Locale.objects.get_or_create(language_code=code)[0]
        for code, _name in settings.WAGTAIL_CONTENT_LANGUAGES
    }


@transaction.atomic
def ensure_home_page(title: str, intro: str = "") -> tuple[HomePage, bool]:
    """The source-language HomePage at the root of the default site.

    Replaces Wagtail's "Welcome to your new Wagtail site!" placeholder the
    first time; later calls update the title and intro only if they differ.
    Returns ``(home, changed)``.
    """
    site = Site.objects.filter(is_default_site=True).first()
    current = site.root_page.specific if site else None
    if isinstance(current, HomePage):
        if (current.title, current.intro) == (title, intro):
            return current, False
        current.title, current.intro = title, intro
        current.save_revision().publish()
        return current, True

    source_locale = Locale.objects.get(language_code=settings.SOURCE_LANGUAGE_CODE)
    root = Page.get_first_root_node() or Page.add_root(
        instance=Page(title="Root", slug="root", locale=source_locale)
    )
    # Only remove the placeholder Wagtail creates: a plain Page with no children.
    if current is not None and type(current) is Page and current.get_children_count() == 0:
        current.delete()
    home = root.add_child(
        instance=HomePage(
            title=title,
            intro=intro,
            slug="inicio",
            locale=source_locale,
        )
    )
    home.save_revision().publish()
    if site is None:
        site = Site(hostname="localhost", port=80, is_default_site=True, site_name="Altavoz")
    site.root_page = home
    site.save()
    return home, True
