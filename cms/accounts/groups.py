"""Least privilege: the groups an account belongs to, with their permissions set up in one place.

- Editores: write and publish the Spanish guides, organizations and the pronunciation
  lexicon, send guides to translation, prepare radio packages.
- Traductores (<locale>): translate (PO files) and record their locale's guides and
  publish them; nothing in Spanish or in another locale, not even its drafts.
- Emisoras de radio: download the radio packages of public guides, nothing else.

``setup_groups`` makes the database match this (idempotent): extra permissions
given to these groups by hand are removed.
"""

from collections.abc import Iterable

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from wagtail.models import Collection, GroupCollectionPermission, GroupPagePermission

from cms.models import HomePage

ADMIN = "wagtailadmin.access_admin"
EDIT_PAGES = ("add_page", "change_page", "publish_page", "lock_page", "unlock_page")
TRANSLATE_PAGES = ("change_page", "publish_page")
MEDIA = (
    "add_image",
    "change_image",
    "choose_image",
    "add_document",
    "change_document",
    "choose_document",
)

EDITORS = "Editores"
STATIONS = "Emisoras de radio"
TRANSLATED_LOCALES = ("en", "cak")


# (model permissions, {home page language: page permissions}, collection permissions)
# by group name.
GroupSpecs = dict[str, tuple[list[str], dict[str, tuple[str, ...]], tuple[str, ...]]]


def translators(language_code: str) -> str:
    return f"Traductores ({language_code})"


def group_specs() -> GroupSpecs:
    """{group name: (model permissions, {home page language: page permissions}, collection
    permissions)}."""
    specs = {
        EDITORS: (
            [
                ADMIN,
                "wagtail_localize.submit_translation",
                "radio.view_radiopackage",
                "cms.add_organization",
                "cms.change_organization",
                "cms.delete_organization",
                "audio.add_pronunciationentry",
                "audio.change_pronunciationentry",
                "audio.delete_pronunciationentry",
            ],
            {"es": EDIT_PAGES},
            MEDIA,
        ),
        STATIONS: ([ADMIN, "radio.view_radiopackage"], {}, ()),
    }
    for code in TRANSLATED_LOCALES:
        specs[translators(code)] = ([ADMIN], {code: TRANSLATE_PAGES}, ())
    return specs


@transaction.atomic
def setup_groups() -> list[str]:
    """Create or correct the groups; returns their names. Wagtail's default groups
    (Editors, Moderators: every locale) are removed when nobody is in them."""
    for name in ("Editors", "Moderators"):
        Group.objects.filter(name=name, user__isnull=True).delete()
    for name, (
        model_permissions,
        page_permissions,
        collection_permissions,
    ) in group_specs().items():
        group, _created = Group.objects.get_or_create(name=name)
        group.permissions.set([permission(dotted) for dotted in model_permissions])
        set_page_permissions(group, page_permissions)
        set_collection_permissions(group, collection_permissions)
    return list(group_specs())


def permission(dotted: str) -> Permission:
    app_label, codename = dotted.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def set_page_permissions(group: Group, by_language: dict[str, tuple[str, ...]]) -> None:
    wanted = set()
    for language, codenames in by_language.items():
        # A locale's home page is the root of its tree: its permissions reach every guide of that
        # locale only.
        for home in HomePage.objects.filter(locale__language_code=language):
            for codename in codenames:
                wanted.add((home.pk, permission(f"wagtailcore.{codename}").pk))
    existing = set()
    for row in GroupPagePermission.objects.filter(group=group):
        if (row.page_id, row.permission_id) in wanted:
            existing.add((row.page_id, row.permission_id))
        else:
            row.delete()
    GroupPagePermission.objects.bulk_create(
        GroupPagePermission(group=group, page_id=page_id, permission_id=permission_id)
        for page_id, permission_id in wanted - existing
    )


def set_collection_permissions(group: Group, codenames: Iterable[str]) -> None:
    root = Collection.get_first_root_node()
    GroupCollectionPermission.objects.filter(group=group).delete()
    for codename in codenames:
        app_label = "wagtailimages" if codename.endswith("image") else "wagtaildocs"
        GroupCollectionPermission.objects.create(
            group=group, collection=root, permission=permission(f"{app_label}.{codename}")
        )
