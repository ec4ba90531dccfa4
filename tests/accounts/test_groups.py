"""Least privilege: each group reaches what its work needs and nothing else (setup_groups)."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from wagtail.models import GroupPagePermission

from cms.accounts.groups import setup_groups
from cms.localization import translation_for
from cms.models import GuidePage

pytestmark = pytest.mark.django_db


def guide(language):
    return GuidePage.objects.get(slug="mixco", locale__language_code=language)


def edit(page):
    return reverse("wagtailadmin_pages:edit", args=[page.pk])


def denied(response):
    # Wagtail answers a PermissionDenied in the admin with a redirect to the dashboard.
    return response.status_code == 302 and response["Location"] == "/admin/"


def test_setup_groups_can_run_again_and_corrects_hand_made_changes(groups):
    before = sorted(
        GroupPagePermission.objects.values_list("group__name", "page_id", "permission__codename")
    )
    GroupPagePermission.objects.filter(group__name="Traductores (cak)").delete()
    Group.objects.get(name="Emisoras de radio").permissions.clear()
    setup_groups()
    after = sorted(
        GroupPagePermission.objects.values_list("group__name", "page_id", "permission__codename")
    )
    assert before == after
    assert Group.objects.get(name="Emisoras de radio").permissions.count() == 2
    assert not Group.objects.filter(
        name__in=["Editors", "Moderators"]
    ).exists()  # Wagtail's: every locale


def test_a_translator_translates_and_records_their_locale(account_in):
    translator = account_in("Traductores (cak)")
    cak = guide("cak")
    assert translator.get(edit(cak)).status_code == 200
    translation = translation_for(guide("es"), "cak")
    assert (
        translator.get(f"/admin/localize/translate/{translation.id}/pofile/download/").status_code
        == 200
    )
    assert translator.get(reverse("altavoz_audio:recordings", args=[cak.pk])).status_code == 200
    assert cak.permissions_for_user(translator.user).can_publish()


def test_a_translator_cannot_publish_a_spanish_guide(account_in):
    translator = account_in("Traductores (cak)")
    spanish = guide("es")
    assert not spanish.permissions_for_user(translator.user).can_publish()
    assert denied(translator.get(edit(spanish)))
    response = translator.post(
        edit(spanish), {"title": "Falso consejo", "slug": "mixco", "action-publish": "1"}
    )
    assert denied(response)
    assert GuidePage.objects.get(pk=spanish.pk).title != "Falso consejo"
    assert denied(translator.get(reverse("altavoz_audio:recordings", args=[spanish.pk])))


def test_a_translator_cannot_see_another_locales_drafts(account_in):
    translator = account_in("Traductores (cak)")
    english = guide("en")
    english.title = "Borrador secreto"
    english.save_revision()
    for url in (
        edit(english),
        reverse("wagtailadmin_pages:view_draft", args=[english.pk]),
        reverse("wagtailadmin_pages:history", args=[english.pk]),
    ):
        response = translator.get(url)
        assert denied(response) or response.status_code in (403, 404), url
    report = translator.get(reverse("altavoz_audio:report")).content.decode()
    assert "Borrador secreto" not in report and f"/admin/pages/{english.pk}/" not in report


def test_an_editor_edits_and_publishes_spanish_and_sends_to_translation(account_in):
    editor = account_in("Editores")
    spanish = guide("es")
    assert editor.get(edit(spanish)).status_code == 200
    assert spanish.permissions_for_user(editor.user).can_publish()
    assert editor.user.has_perm("wagtail_localize.submit_translation")
    assert not guide("cak").permissions_for_user(editor.user).can_publish()


def test_a_radio_station_reaches_the_packages_and_nothing_else(account_in):
    station = account_in("Emisoras de radio")
    spanish = guide("es")
    listing = station.get(reverse("radio_admin:stations"))
    assert (
        listing.status_code == 200
        and reverse("radio_admin:package", args=[spanish.pk]) in listing.content.decode()
    )
    assert station.get(reverse("radio_admin:package", args=[spanish.pk])).status_code == 200
    for url in (
        edit(spanish),
        reverse("altavoz_audio:recordings", args=[spanish.pk]),
        reverse("wagtailadmin_explore", args=[spanish.get_parent().pk]),
        reverse("wagtailsnippets_audio_pronunciationentry:list"),
        "/admin/localize/",
    ):
        response = station.get(url)
        assert denied(response) or response.status_code in (403, 404), url
    # A draft (never published) guide: not even its package page.
    draft = spanish.get_parent().add_child(
        instance=GuidePage(
            title="Nueva", slug="nueva", live=False, last_reviewed=datetime.date.today()
        )
    )
    assert denied(station.get(reverse("radio_admin:package", args=[draft.pk])))
