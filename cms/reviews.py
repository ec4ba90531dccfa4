"""Review reminders: which guides and organizations are due for a check, and who is told.

A guide's advice goes out of date (a clinic moves, a law changes): its ``last_reviewed`` may
get ``ALTAVOZ_GUIDE_REVIEW_MONTHS`` old (6), an organization's ``verified_on``
``ALTAVOZ_ORGANIZATION_REVIEW_MONTHS`` old (3). What is overdue, or falls due within
``ALTAVOZ_REVIEW_SOON_DAYS``, is listed on the admin home (``cms.wagtail_hooks``) and
e-mailed once a week (``send_review_reminders``, run by the audio worker's hourly sweep).

A translation follows its Spanish source's review: reviewing the Spanish guide reviews what
the translation says, so its date is the later of its own and its source's.

Who is told about a guide (its "editors"): the page's owner and the accounts that published
it in the last ``RECENT_PUBLISHERS_DAYS`` days, if they may still edit it; when none is left,
the members of the group that edits its locale (Editores, or the locale's Traductores).
Organizations go to the Editores group (they edit them). Accounts without an e-mail address,
or inactive, are never written to.
"""

import calendar
import logging
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from wagtail.models import Locale, PageLogEntry
from wagtail.users.models import UserProfile

from cms.accounts.groups import EDITORS, translators
from cms.models import GuidePage, Organization, ReviewReminder

logger = logging.getLogger(__name__)
RECENT_PUBLISHERS_DAYS = 365


@dataclass
class DueItem:
    """A guide or organization to review: when it was last checked and when it falls due."""

    obj: object
    kind: str  # "guide" | "organization"
    reviewed_on: date | None
    due_on: date | None  # None: never checked
    overdue: bool
    follows_source: bool = False  # a translation dated by its source's review
    translations: list = field(default_factory=list)  # further locales of the same guide

    @property
    def title(self):
        return self.obj.title if self.kind == "guide" else self.obj.name

    @property
    def language(self):
        return self.obj.locale.language_code

    @property
    def edit_url(self):
        if self.kind == "guide":
            return reverse("wagtailadmin_pages:edit", args=[self.obj.pk])
        return reverse("wagtailsnippets_cms_organization:edit", args=[self.obj.pk])


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day when it has fewer days)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def week_of(day: date) -> date:
    """The Monday of ``day``'s week: the key of the once-a-week guard."""
    return day - timedelta(days=day.weekday())


def _item(obj, kind, reviewed_on, months, today, follows_source=False):
    """A DueItem when ``obj`` is overdue or due soon, else None."""
    due_on = add_months(reviewed_on, months) if reviewed_on else None
    soon = today + timedelta(days=settings.ALTAVOZ_REVIEW_SOON_DAYS)
    if due_on is not None and due_on > soon:
        return None
    overdue = due_on is None or due_on <= today
    return DueItem(obj, kind, reviewed_on, due_on, overdue, follows_source)


def due_guides(today: date | None = None) -> list[DueItem]:
    """Every live guide, in every locale, that is overdue or due soon, most overdue first."""
    today = today or timezone.localdate()
    guides = list(GuidePage.objects.live().select_related("locale").order_by("path"))
    source_locale = Locale.get_default()
    source_dates = {
        g.translation_key: g.last_reviewed for g in guides if g.locale_id == source_locale.pk
    }
    items = []
    for guide in guides:
        source_date = source_dates.get(guide.translation_key)
        follows = source_date is not None and source_date > guide.last_reviewed
        reviewed = source_date if follows else guide.last_reviewed
        item = _item(guide, "guide", reviewed, settings.ALTAVOZ_GUIDE_REVIEW_MONTHS, today, follows)
        if item:
            items.append(item)
    return sorted(items, key=_urgency)


def due_organizations(today: date | None = None) -> list[DueItem]:
    """Organizations overdue or due soon, one per organization (``verified_on`` is the same
    in every translation: a synchronized field), most overdue first."""
    today = today or timezone.localdate()
    source_locale = Locale.get_default()
    organizations = Organization.objects.filter(locale=source_locale).select_related("locale")
    months = settings.ALTAVOZ_ORGANIZATION_REVIEW_MONTHS
    items = [_item(o, "organization", o.verified_on, months, today) for o in organizations]
    return sorted((i for i in items if i), key=_urgency)


def _urgency(item):
    return (item.due_on or date.min, item.title)


def for_user(user, guides, organizations) -> tuple[list, list]:
    """What ``user`` may edit of the due lists, a guide's locales grouped under one row (its
    source first when the user may edit it)."""
    rows, by_key = [], {}
    for item in guides:
        if not item.obj.permissions_for_user(user).can_edit():
            continue
        row = by_key.get(item.obj.translation_key)
        if row is None:
            by_key[item.obj.translation_key] = item
            rows.append(item)
        else:
            row.translations.append(item)
    may_edit_organizations = user.has_perm("cms.change_organization")
    return rows, (list(organizations) if may_edit_organizations else [])


def guide_editors(page, since: date | None = None) -> set:
    """The accounts told about a guide: its owner and recent publishers who may still edit it,
    else its locale's group."""
    since = since or timezone.now() - timedelta(days=RECENT_PUBLISHERS_DAYS)
    User = get_user_model()
    publishers = PageLogEntry.objects.filter(
        page=page, action="wagtail.publish", timestamp__gte=since
    ).values_list("user_id", flat=True)
    ids = {page.owner_id, *publishers} - {None}
    people = {
        user
        for user in User.objects.filter(pk__in=ids, is_active=True).exclude(email="")
        if page.permissions_for_user(user).can_edit()
    }
    if people:
        return people
    language = page.locale.language_code
    group = EDITORS if language == Locale.get_default().language_code else translators(language)
    return _group_members(group)


def organization_editors() -> set:
    return _group_members(EDITORS)


def _group_members(group_name) -> set:
    User = get_user_model()
    return set(User.objects.filter(groups__name=group_name, is_active=True).exclude(email=""))


def digests(today: date | None = None) -> dict:
    """{account: (guides, organizations)} for every account with something to review."""
    today = today or timezone.localdate()
    found = {}
    for item in due_guides(today):
        for user in guide_editors(item.obj):
            found.setdefault(user, ([], []))[0].append(item)
    organizations = due_organizations(today)
    if organizations:
        for user in organization_editors():
            found.setdefault(user, ([], []))[1].extend(organizations)
    return found


def send_review_reminders(today: date | None = None) -> int:
    """E-mail each account its digest, at most once a week; returns how many were sent.

    Safe to run as often as one likes (the worker runs it hourly): an account that already
    had this week's digest is skipped.
    """
    today = today or timezone.localdate()
    week = week_of(today)
    sent = 0
    for user, (guides, organizations) in digests(today).items():
        if _send_once(user, week, guides, organizations, today):
            sent += 1
    return sent


def _send_once(user, week, guides, organizations, today) -> bool:
    try:
        with transaction.atomic():
            reminder = ReviewReminder.objects.create(
                user=user, week=week, items=len(guides) + len(organizations)
            )
    except IntegrityError:
        return False  # this week's digest went out already
    try:
        subject, body = render_digest(user, guides, organizations, today)
        send_mail(subject, body, None, [user.email])
    except Exception:
        reminder.delete()  # not sent: the next run tries again
        logger.exception("Review digest to account %s not sent", user.pk)
        return False
    return True


def render_digest(user, guides, organizations, today) -> tuple[str, str]:
    """The digest's subject and plain-text body, in the account's admin language."""
    language = UserProfile.get_for_user(user).get_preferred_language()
    with translation.override(language):
        context = {
            "user": user,
            "guides": guides,
            "organizations": organizations,
            "count": len(guides) + len(organizations),
            "today": today,
            "base_url": settings.WAGTAILADMIN_BASE_URL.rstrip("/"),
            "guide_months": settings.ALTAVOZ_GUIDE_REVIEW_MONTHS,
            "organization_months": settings.ALTAVOZ_ORGANIZATION_REVIEW_MONTHS,
        }
        subject = render_to_string("cms/reviews/digest_subject.txt", context).strip()
        body = render_to_string("cms/reviews/digest.txt", context)
    return subject, body
