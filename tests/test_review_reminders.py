"""Guides and organizations get reviewed: the admin home lists what is due, editors get a
weekly digest, and publishing can mark a guide reviewed today in one click."""

from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from wagtail.models import PageLogEntry

from cms.accounts.groups import setup_groups
from cms.models import GuidePage, Organization, ReviewReminder
from cms.reviews import add_months, due_guides, due_organizations, send_review_reminders
from tests.signing_in import sign_in
from tests.test_admin_editing import guide_form

pytestmark = pytest.mark.django_db

# The demo guides were reviewed on 2026-11-25: with six months, due on 2027-05-25.
SOON = date(2027, 5, 10)  # due within the 30 days of "soon"
LATE = date(2027, 6, 1)  # overdue


def guide(slug, language="es"):
    return GuidePage.objects.get(slug=slug, locale__language_code=language)


def reviewed(page, day):
    GuidePage.objects.filter(pk=page.pk).update(last_reviewed=day)


def person(username, *groups, email=True):
    user = get_user_model().objects.create_user(
        username, f"{username}@example.invalid" if email else "", "pw"
    )
    for name in groups:
        user.groups.add(Group.objects.get(name=name))
    return user


@pytest.fixture
def groups(db):
    setup_groups()


def test_months_are_calendar_months():
    assert add_months(date(2026, 11, 25), 6) == date(2027, 5, 25)
    assert add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert add_months(date(2026, 12, 31), 3) == date(2027, 3, 31)


def test_due_soon_and_overdue_follow_the_configured_ages(settings):
    reviewed(guide("patzun"), date(2027, 5, 1))  # reviewed recently: not listed
    soon = {(i.obj.slug, i.language): i for i in due_guides(SOON)}
    assert ("mixco", "es") in soon and not soon[("mixco", "es")].overdue
    assert soon[("mixco", "es")].due_on == date(2027, 5, 25)
    assert ("patzun", "es") not in soon
    late = {(i.obj.slug, i.language): i for i in due_guides(LATE)}
    assert late[("mixco", "es")].overdue

    settings.ALTAVOZ_GUIDE_REVIEW_MONTHS = 12
    assert not any(i.obj.slug == "mixco" for i in due_guides(LATE))


def test_a_translation_follows_its_spanish_review_unless_it_has_its_own(settings):
    reviewed(guide("mixco"), date(2027, 5, 20))  # the Spanish guide was just reviewed
    reviewed(guide("mixco", "en"), date(2026, 11, 25))
    assert not any(i.obj.slug == "mixco" for i in due_guides(LATE))  # en follows es

    reviewed(guide("mixco"), date(2026, 10, 1))
    reviewed(guide("mixco", "en"), date(2027, 5, 20))  # its own, newer review
    due = {i.language for i in due_guides(LATE) if i.obj.slug == "mixco"}
    assert "es" in due and "en" not in due


def test_organizations_are_due_by_their_verification_date(settings):
    Organization.objects.update(verified_on=date(2027, 5, 1))
    assert due_organizations(LATE) == []
    first = Organization.objects.filter(locale__language_code="es").order_by("pk").first()
    Organization.objects.filter(translation_key=first.translation_key).update(
        verified_on=date(2027, 2, 1)
    )  # three months: due 2027-05-01
    due = due_organizations(LATE)
    assert [(i.obj.pk, i.overdue) for i in due] == [(first.pk, True)]
    Organization.objects.filter(pk=first.pk).update(verified_on=None)
    assert due_organizations(LATE)[0].due_on is None  # never verified: listed first


def home_panel(user):
    html = sign_in(Client(), user).get("/admin/").content.decode()
    start = html.index("data-review-panel")
    return html[start : html.index("</section>", start)]


def test_the_admin_home_lists_what_each_account_may_edit(groups, monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args: LATE)
    Organization.objects.update(verified_on=date(2027, 1, 1))
    editor = person("editora", "Editores")
    translator = person("traductora", "Traductores (cak)")

    panel = home_panel(editor)
    assert reverse("wagtailadmin_pages:edit", args=[guide("mixco").pk]) in panel
    assert 'data-review-item="guide" data-overdue="true"' in panel
    assert 'data-review-item="organization"' in panel
    first = Organization.objects.filter(locale__language_code="es").first()
    assert reverse("wagtailsnippets_cms_organization:edit", args=[first.pk]) in panel
    assert reverse("wagtailadmin_pages:edit", args=[guide("mixco", "cak").pk]) not in panel

    panel = home_panel(translator)
    assert reverse("wagtailadmin_pages:edit", args=[guide("mixco", "cak").pk]) in panel
    assert reverse("wagtailadmin_pages:edit", args=[guide("mixco").pk]) not in panel
    assert 'data-review-item="organization"' not in panel  # translators do not edit them


def test_the_digest_goes_to_the_owner_and_recent_publishers_once_a_week(groups):
    Organization.objects.update(verified_on=date(2027, 5, 1))
    mixco = guide("mixco")
    owner, publisher = person("duena", "Editores"), person("publica", "Editores")
    bystander = person("otra", "Editores")
    nameless = person("sincorreo", "Editores", email=False)
    GuidePage.objects.filter(pk=mixco.pk).update(owner=owner)
    mixco.refresh_from_db()
    mixco.save_revision(user=publisher).publish(user=publisher)
    GuidePage.objects.filter(pk=mixco.pk).update(last_reviewed=date(2026, 11, 25))
    PageLogEntry.objects.create(
        page=mixco,
        content_type=mixco.content_type,
        action="wagtail.publish",
        user=nameless,
        label=mixco.title,
        timestamp=timezone.now(),
    )
    reviewed(guide("patzun"), date(2027, 5, 1))

    assert send_review_reminders(LATE) >= 2
    to_mixco = [m for m in mail.outbox if "Mixco" in m.body]
    assert sorted(m.to[0] for m in to_mixco) == [owner.email, publisher.email]
    assert bystander.email not in {m.to[0] for m in mail.outbox}
    message = to_mixco[0]
    assert "por revisar" in message.subject
    assert reverse("wagtailadmin_pages:edit", args=[mixco.pk]) in message.body
    assert "vencida desde el" in message.body
    assert "Patzún" not in message.body

    sent = len(mail.outbox)
    assert send_review_reminders(LATE) == 0  # the same week: nothing again
    call_command("send_review_reminders", "--date", "2027-06-03")
    assert len(mail.outbox) == sent
    assert ReviewReminder.objects.filter(user=owner).count() == 1
    assert send_review_reminders(date(2027, 6, 8)) >= 2  # the next week
    assert ReviewReminder.objects.filter(user=owner).count() == 2


def test_without_owner_or_publisher_the_locale_group_is_told(groups):
    Organization.objects.update(verified_on=date(2027, 5, 1))
    GuidePage.objects.update(owner=None)
    PageLogEntry.objects.filter(action="wagtail.publish").delete()
    editor = person("editora", "Editores")
    translator = person("traductora", "Traductores (en)")
    send_review_reminders(LATE)
    by_person = {m.to[0]: m.body for m in mail.outbox}
    assert "(es)" in by_person[editor.email] and "(en)" not in by_person[editor.email]
    assert "(en)" in by_person[translator.email] and "(es)" not in by_person[translator.email]


def test_an_account_preferring_english_gets_its_digest_in_english(groups):
    from wagtail.users.models import UserProfile

    Organization.objects.update(verified_on=None)
    editor = person("editora", "Editores")
    profile = UserProfile.get_for_user(editor)
    profile.preferred_language = "en"
    profile.save()
    send_review_reminders(LATE)
    body = next(m.body for m in mail.outbox if m.to == [editor.email])
    assert "Organizations" in body and "never verified" in body


def test_the_workers_hourly_sweep_sends_the_digest(groups, monkeypatch):
    from audio.management.commands.audio_worker import Command

    monkeypatch.setattr(timezone, "localdate", lambda *args: LATE)
    monkeypatch.setattr(
        "audio.management.commands.audio_worker.close_old_connections", lambda: None
    )
    Organization.objects.update(verified_on=None)
    person("editora", "Editores")
    monkeypatch.setattr("audio.management.commands.audio_worker.queue_stale_audio", list)
    worker = Command()
    worker.sweep()
    assert [m.to for m in mail.outbox] == [["editora@example.invalid"]]
    worker.evicted_at = float("-inf")  # another hour
    worker.sweep()
    assert len(mail.outbox) == 1


def test_publish_and_mark_reviewed_today_sets_the_date_publishes_and_logs(admin_client, editor):
    mixco = guide("mixco")
    html = admin_client.get(reverse("wagtailadmin_pages:edit", args=[mixco.pk])).content.decode()
    assert 'name="action-publish-reviewed"' in html
    assert "Publicar y marcar revisada hoy" in html

    data = guide_form(slug="mixco", body="<p>Texto revisado.</p>")
    del data["action-publish"]
    data["action-publish-reviewed"] = "action-publish-reviewed"
    response = admin_client.post(reverse("wagtailadmin_pages:edit", args=[mixco.pk]), data)
    assert response.status_code == 302
    mixco.refresh_from_db()
    assert mixco.last_reviewed == timezone.localdate()
    assert mixco.live and "Texto revisado." in str(mixco.sections[0].value["body"])
    assert not mixco.has_unpublished_changes
    entry = PageLogEntry.objects.filter(page=mixco, action="altavoz.mark_reviewed").get()
    assert entry.user == editor and entry.data["last_reviewed"] == timezone.localdate().isoformat()


def test_plain_publish_keeps_the_review_date(admin_client):
    mixco = guide("mixco")
    response = admin_client.post(
        reverse("wagtailadmin_pages:edit", args=[mixco.pk]), guide_form(slug="mixco")
    )
    assert response.status_code == 302
    mixco.refresh_from_db()
    assert mixco.last_reviewed == date(2026, 11, 1)  # what the form said
    assert not PageLogEntry.objects.filter(page=mixco, action="altavoz.mark_reviewed").exists()


def test_an_account_that_may_not_publish_cannot_mark_reviewed(groups):
    translator = person("traductora", "Traductores (cak)")
    client = sign_in(Client(), translator)
    mixco = guide("mixco")
    data = guide_form(slug="mixco")
    del data["action-publish"]
    data["action-publish-reviewed"] = "1"
    client.post(reverse("wagtailadmin_pages:edit", args=[mixco.pk]), data)
    mixco.refresh_from_db()
    assert mixco.last_reviewed == date(2026, 11, 25)
    assert not PageLogEntry.objects.filter(page=mixco, action="altavoz.mark_reviewed").exists()
