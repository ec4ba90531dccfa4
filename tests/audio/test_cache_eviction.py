"""Cached clips and mastered segments do not pile up forever.

Whatever a live rendition (or a retired one still in its grace period) was
made from stays; the rest goes, files included, once nothing has used it for
ALTAVOZ_AUDIO_CACHE_DAYS. The audio worker's periodic sweep runs it.
"""

import os
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from audio.jobs import request_audio, run_job
from audio.models import AudioJob, MasteredSegment, Rendition, SectionClip
from audio.publishing import (
    cleanup_retired_renditions,
    evict_cached_audio,
    remove_stray_rendition_files,
)

from .fixtures import edit_section, live

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def cache_settings(settings):
    settings.ALTAVOZ_AUDIO_CACHE_DAYS = 30
    settings.ALTAVOZ_AUDIO_GRACE_SECONDS = 24 * 3600


def files_of(rows):
    return [row.audio.name for row in rows]


def cached_rows():
    return list(SectionClip.objects.all()) + list(MasteredSegment.objects.all())


def test_what_an_edit_left_behind_goes_after_the_grace_period_and_the_cache_days(small_guide):
    run_job(small_guide.pk)
    first = {(type(row), row.key) for row in cached_rows()}
    edit_section(small_guide, 2, "<p>Texto nuevo de la sección.</p>")
    run_job(small_guide.pk)
    live = Rendition.objects.filter(page=small_guide, state="live")
    needed = {(SectionClip, k) for r in live for k in r.clip_keys} | {
        (MasteredSegment, k) for r in live for k in r.segment_keys
    }
    left_behind = [row for row in cached_rows() if (type(row), row.key) in first - needed]
    assert len(left_behind) == 3  # the old clip of the section, and its listen and lowdata segments
    assert all(default_storage.exists(name) for name in files_of(left_behind))

    # Within the grace period the retired rendition still counts, however old the cache.
    assert evict_cached_audio(now=timezone.now() + timedelta(hours=12)) == 0
    # After it, but used only a day ago: kept.
    assert evict_cached_audio(now=timezone.now() + timedelta(days=2)) == 0
    # Unused for the cache days: gone, rows and files; what the live audio needs stays.
    later = timezone.now() + timedelta(days=31)
    assert evict_cached_audio(now=later) == 3
    assert not any(default_storage.exists(name) for name in files_of(left_behind))
    kept = {(type(row), row.key) for row in cached_rows()}
    assert kept == needed
    assert all(default_storage.exists(row.audio.name) for row in cached_rows())
    cleanup_retired_renditions(now=later)

    # The live audio can still be made again without the engine.
    request_audio(small_guide, force=True)
    run_job(small_guide.pk)
    assert AudioJob.objects.get(page=small_guide).summary["synthesized"] == 0


def test_a_retired_renditions_cache_stays_through_its_grace_period(small_guide, settings):
    settings.ALTAVOZ_AUDIO_GRACE_SECONDS = 60 * 24 * 3600  # longer than the cache days
    run_job(small_guide.pk)
    edit_section(small_guide, 2, "<p>Texto nuevo de la sección.</p>")
    run_job(small_guide.pk)
    assert evict_cached_audio(now=timezone.now() + timedelta(days=40)) == 0
    assert evict_cached_audio(now=timezone.now() + timedelta(days=61)) == 3


def test_using_a_cached_clip_or_segment_keeps_it(small_guide):
    run_job(small_guide.pk)
    long_ago = timezone.now() - timedelta(days=100)
    SectionClip.objects.update(used_at=long_ago)
    MasteredSegment.objects.update(used_at=long_ago)
    Rendition.objects.all().delete()

    small_guide.save_revision().publish()
    run_job(small_guide.pk)  # no live audio: made again, all of it from the cache
    summary = AudioJob.objects.get(page=small_guide).summary
    assert summary["synthesized"] == 0 and summary["segments_encoded"] == {
        "listen": 0,
        "lowdata": 0,
    }
    Rendition.objects.all().delete()  # now only that use protects them

    assert evict_cached_audio() == 0
    assert evict_cached_audio(now=timezone.now() + timedelta(days=31)) == 3 + 6
    assert not cached_rows()


def test_renditions_made_before_they_listed_their_clips_keep_them(small_guide):
    run_job(small_guide.pk)
    Rendition.objects.update(clip_keys=[])
    assert evict_cached_audio(now=timezone.now() + timedelta(days=31)) == 0
    assert SectionClip.objects.count() == 3


def test_old_files_no_row_names_are_removed(small_guide, monkeypatch):
    run_job(small_guide.pk)
    old = default_storage.save("audio/segments/orphan-old.mp3", ContentFile(b"ID3 no row"))
    fresh = default_storage.save("audio/clips/orphan-fresh.flac", ContentFile(b"fLaC no row yet"))
    month_ago = timezone.now() - timedelta(days=31)
    try:
        os.utime(default_storage.path(old), (month_ago.timestamp(), month_ago.timestamp()))
    except NotImplementedError:  # S3 (make test-s3): an object's date cannot be set
        modified = default_storage.get_modified_time
        monkeypatch.setattr(
            default_storage,
            "get_modified_time",
            lambda name: month_ago if name == old else modified(name),
        )

    evict_cached_audio()

    assert not default_storage.exists(old)
    assert default_storage.exists(fresh)  # a worker may be about to save its row
    assert all(default_storage.exists(row.audio.name) for row in cached_rows())


def test_the_audio_workers_sweep_evicts(small_guide, monkeypatch):
    from audio.management.commands.audio_worker import Command

    run_job(small_guide.pk)
    Rendition.objects.all().delete()
    long_ago = timezone.now() - timedelta(days=31)
    SectionClip.objects.update(used_at=long_ago)
    MasteredSegment.objects.update(used_at=long_ago)
    monkeypatch.setattr(
        "audio.management.commands.audio_worker.close_old_connections", lambda: None
    )

    worker = Command()
    worker.sweep()
    assert not SectionClip.objects.exists() and not MasteredSegment.objects.exists()

    # Counted in days, evicted hourly: the next sweeps a minute later leave the cache alone.
    request_audio(small_guide)
    run_job(small_guide.pk)
    Rendition.objects.all().delete()
    SectionClip.objects.update(used_at=long_ago)
    worker.sweep()
    assert SectionClip.objects.count() == 3


def test_files_a_killed_worker_left_behind_go_after_the_grace_period(small_guide):
    """Written, but the worker died before making them live: no row names them."""
    run_job(small_guide.pk)
    stray = default_storage.save(
        f"audio/renditions/{small_guide.pk}/0123456789abcdef-listen.mp3", ContentFile(b"ID3")
    )
    remove_stray_rendition_files()
    assert default_storage.exists(stray)  # it may be a running job's

    # (Other tests' files count too: their rows were rolled back, their files stay.)
    assert remove_stray_rendition_files(now=timezone.now() + timedelta(hours=25)) >= 1
    assert not default_storage.exists(stray)
    for rendition in live(small_guide).values():
        for name in (rendition.audio.name, rendition.captions.name, rendition.chapters.name):
            assert default_storage.exists(name)


def test_a_clip_two_workers_wrote_under_one_name_keeps_its_file(small_guide, monkeypatch):
    """In S3 two workers making the same clip may both write its one name (there is no
    atomic "create if absent"); the one whose row loses must not delete the winner's file."""
    from django.core.files.storage import FileSystemStorage

    import audio.clips

    run_job(small_guide.pk)
    winners = {clip.key: clip.audio.name for clip in SectionClip.objects.all()}
    assert winners and all(default_storage.exists(name) for name in winners.values())

    # The other worker did not see the rows yet, and its writes landed on the same names.
    save = FileSystemStorage.save

    def same_name(self, name, content, max_length=None):
        if name.startswith("audio/clips/"):
            return name
        return save(self, name, content, max_length=max_length)

    monkeypatch.setattr(audio.clips, "_cached_clip", lambda key: None)
    monkeypatch.setattr(FileSystemStorage, "save", same_name)
    Rendition.objects.all().delete()
    request_audio(small_guide)
    run_job(small_guide.pk)
    monkeypatch.undo()

    job = AudioJob.objects.get(page=small_guide)
    assert job.state == AudioJob.State.READY, job.error
    assert job.summary["synthesized"] == len(winners)
    assert {clip.key: clip.audio.name for clip in SectionClip.objects.all()} == winners
    assert all(default_storage.exists(name) for name in winners.values())


@pytest.mark.parametrize("same_name", [True, False], ids=["one name", "two names"])
def test_a_segment_two_workers_stored_at_once_keeps_the_winners_file(
    small_guide, monkeypatch, same_name
):
    """The other worker's row commits after this one's delete and before its insert: this
    one loses. Its file goes only if it is not the winner's too (in S3 both may write one
    name: there is no atomic "create if absent")."""
    from django.db import transaction
    from django.db.models import QuerySet

    import audio.segments
    from audio.models import MasteredSegment

    run_job(small_guide.pk)
    winners = {row.key: row for row in MasteredSegment.objects.all()}
    names = {key: row.audio.name for key, row in winners.items()}
    assert names and all(default_storage.exists(name) for name in names.values())
    storing, lost = [], []

    storage = MasteredSegment._meta.get_field("audio").storage
    storage_class = type(getattr(storage, "_wrapped", storage))  # the disk's or S3's
    save_file = storage_class.save

    def written(self, name, content, max_length=None):
        stored = save_file(self, name, content, max_length=max_length)
        if name.startswith("audio/segments/"):
            key = name.rsplit("/", 1)[1].split(".")[0]
            if same_name:  # the second write lands on the first one's name
                self.delete(stored)
                stored = names[key]
            storing.append(key)
            lost.append(stored)
        return stored

    atomic, delete = transaction.atomic, QuerySet.delete

    def other_worker_commits_first(*args, **kwargs):
        if storing:
            winner = winners[storing[-1]]
            winner.pk = None
            winner.save()
        return atomic(*args, **kwargs)

    def unseen(self):  # the other worker's row was not committed when this one deleted
        if self.model is MasteredSegment and storing:
            storing.clear()
            return 0, {}
        return delete(self)

    monkeypatch.setattr(
        audio.segments, "_cached_segments", lambda keys, v: [(None, None)] * len(keys)
    )
    monkeypatch.setattr(storage_class, "save", written)
    monkeypatch.setattr(audio.segments.transaction, "atomic", other_worker_commits_first)
    monkeypatch.setattr(QuerySet, "delete", unseen)
    Rendition.objects.all().delete()
    MasteredSegment.objects.all().delete()
    request_audio(small_guide)
    run_job(small_guide.pk)
    monkeypatch.undo()

    job = AudioJob.objects.get(page=small_guide)
    assert job.state == AudioJob.State.READY, job.error
    assert {row.key: row.audio.name for row in MasteredSegment.objects.all()} == names
    assert all(default_storage.exists(name) for name in names.values())
    assert len(lost) == len(names)
    assert all(default_storage.exists(name) == same_name for name in lost)
