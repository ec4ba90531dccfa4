"""What leaves the building, field by field — and the OpenAPI schema of it.

Documents are built as dicts (``documents``) and passed through these
serializers once, when the cache is filled: a field that is not declared here
never reaches a client, whatever the builder puts in. drf-spectacular reads
the same classes for ``/api/schema/``, so the schema cannot drift from the
output (and schemathesis checks responses against it).
"""

from datetime import UTC

from rest_framework import serializers

AUDIO_STATUSES = ["ready", "stale", "pending"]
GUIDE_AUDIO_STATUSES = AUDIO_STATUSES + ["unavailable"]
RECORDING_STATES = ["current", "stale", "missing"]
SECTION_CHANGES = ["added", "removed", "changed"]


class UTCDateTimeField(serializers.DateTimeField):
    """ISO 8601 in UTC ("...Z"), whatever the server's time zone."""

    def __init__(self, **kwargs):
        super().__init__(default_timezone=UTC, **kwargs)


class PlaceSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="Municipality.")
    department = serializers.CharField(help_text="Department (Guatemala's first-level division).")


class ProgressSerializer(serializers.Serializer):
    total = serializers.IntegerField(help_text="Strings to translate.")
    translated = serializers.IntegerField(help_text="Strings translated so far.")


class TranslationStateSerializer(serializers.Serializer):
    source_language = serializers.CharField(
        allow_null=True, help_text="Language the guide is translated from."
    )
    complete = serializers.BooleanField(
        help_text="False while any string is untranslated (or translated but not yet published)."
    )
    progress = ProgressSerializer(
        allow_null=True, help_text="Null for a translation maintained by hand."
    )
    fallback_language = serializers.CharField(
        allow_null=True,
        help_text="When the translation is incomplete, the language of the text actually returned "
        "(the source's); null otherwise.",
    )


class OffsetSerializer(serializers.Serializer):
    rendition = serializers.IntegerField(help_text="Rendition id.")
    variant = serializers.CharField()
    start = serializers.FloatField(help_text="Seconds from the start of the file.")
    end = serializers.FloatField(help_text="Seconds from the start of the file.")


class PictogramSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField(help_text="Accessible name, in the guide's language.")
    svg_path = serializers.CharField(
        help_text="SVG path data on a 24×24 grid, drawn with currentColor."
    )


class SectionSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="Stable id: the same in every language and across edits.")
    heading = serializers.CharField()
    key_point = serializers.CharField(allow_blank=True)
    pictogram = PictogramSerializer(allow_null=True)
    text = serializers.CharField(
        allow_blank=True, help_text="Plain text as read aloud (heading, key point, body)."
    )
    sentences = serializers.ListField(
        child=serializers.CharField(), help_text="The text, one caption cue each."
    )
    html = serializers.CharField(
        allow_blank=True, help_text="Body as HTML (p, ul, ol, li, b, i, a, br)."
    )
    audio = OffsetSerializer(many=True, help_text="Where the section is in each audio rendition.")
    recording = serializers.ChoiceField(
        choices=RECORDING_STATES,
        allow_null=True,
        help_text=(
            "Languages voiced by people (Kaqchikel): whether this section's recording matches "
            "the current source text. Null elsewhere."
        ),
    )


class IntroSerializer(serializers.Serializer):
    text = serializers.CharField(allow_blank=True)
    sentences = serializers.ListField(child=serializers.CharField())
    audio = OffsetSerializer(many=True)


class OrganizationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    language = serializers.CharField(help_text="Language of the text fields.")
    name = serializers.CharField()
    offers = serializers.CharField()
    serves = serializers.CharField(allow_blank=True)
    area = serializers.CharField(allow_blank=True)
    how_to_reach = serializers.CharField(allow_blank=True)
    phone = serializers.CharField(allow_blank=True, help_text="Empty until verified.")
    email = serializers.CharField(allow_blank=True)
    website = serializers.CharField(allow_blank=True)
    verified_on = serializers.DateField(
        allow_null=True, help_text="When someone last checked the contact details."
    )


class RenditionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    variant = serializers.CharField(
        help_text="listen: MP3 32 kbps mono; lowdata: Opus 16 kbps (by default)."
    )
    language = serializers.CharField(help_text="Language spoken.")
    url = serializers.URLField()
    mime_type = serializers.CharField()
    bitrate = serializers.IntegerField(
        allow_null=True, help_text="Bits per second; null for lossless."
    )
    duration = serializers.FloatField(help_text="Seconds.")
    bytes = serializers.IntegerField(help_text="File size.")
    sha256 = serializers.CharField(help_text="Hex SHA-256 of the file: verify downloads with it.")
    engine = serializers.CharField(help_text="gtts, espeak or recorded (human voices).")
    voice = serializers.CharField()
    generated_at = UTCDateTimeField()
    status = serializers.ChoiceField(
        choices=AUDIO_STATUSES,
        help_text="ready: matches the text; pending: the text changed and new audio is being made; "
        "stale: the text changed and nothing is being made.",
    )
    chapters_url = serializers.URLField(allow_null=True, help_text="Podcasting 2.0 JSON chapters.")
    captions_url = serializers.URLField(
        allow_null=True, help_text="WebVTT captions, one cue per sentence."
    )
    loudness_lufs = serializers.FloatField(
        allow_null=True, help_text="Integrated loudness as measured."
    )
    true_peak_dbtp = serializers.FloatField(allow_null=True)


class RecordingsSummarySerializer(serializers.Serializer):
    sections = serializers.IntegerField()
    current = serializers.IntegerField()
    stale = serializers.IntegerField()
    missing = serializers.IntegerField()


class GuideAudioSerializer(serializers.Serializer):
    language = serializers.CharField(
        help_text="Language spoken; differs from the guide's when fallback is true."
    )
    fallback = serializers.BooleanField(
        help_text=(
            "True when the guide has no audio of its own and this is its source-language audio."
        )
    )
    status = serializers.ChoiceField(choices=GUIDE_AUDIO_STATUSES)
    duration = serializers.FloatField(allow_null=True, help_text="Seconds; null without audio.")
    generating = serializers.BooleanField(help_text="New audio is queued or being made.")
    renditions = RenditionSerializer(many=True)
    recordings = RecordingsSummarySerializer(
        allow_null=True, help_text="Languages voiced by people: how many sections are recorded."
    )


class SectionChangeSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="The section's stable id (intro: the title and summary).")
    heading = serializers.CharField(
        help_text="Its heading in this version (a removed section: the heading it had)."
    )
    change = serializers.ChoiceField(choices=SECTION_CHANGES)
    text = serializers.BooleanField(help_text="Its text changed: download the guide's text again.")
    audio = serializers.BooleanField(
        help_text="Its audio changed (also without a text change: a pronunciation fix, a new "
        "recording): download the section's audio again."
    )


class GuideVersionSerializer(serializers.Serializer):
    number = serializers.IntegerField(
        help_text="1 for the first public version; one more each time the public text or audio "
        "changed."
    )
    recorded_at = UTCDateTimeField(help_text="When this version's audio went live.")
    changed_sections = SectionChangeSerializer(
        many=True,
        help_text="What changed since version number - 1 (in version 1, every section is "
        "added). A client holding an older version re-downloads the whole guide.",
    )


class TranslationLinkSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    locale = serializers.CharField()
    detail_url = serializers.URLField()


class GuideSerializer(serializers.Serializer):
    """A guide. Listings return the first group of fields; details (and ``fields=*``) all."""

    id = serializers.IntegerField()
    detail_url = serializers.URLField()
    html_url = serializers.URLField(help_text="The guide on the listening front.")
    locale = serializers.CharField(help_text="The locale this guide belongs to (es, en, cak).")
    language = serializers.CharField(
        help_text=(
            "Language of the text returned. Differs from locale while a translation is "
            "incomplete: the source text is returned, labelled with the source's language."
        )
    )
    translation_key = serializers.CharField(help_text="Shared by all translations of a guide.")
    slug = serializers.CharField()
    title = serializers.CharField()
    place = PlaceSerializer()
    summary = serializers.CharField()
    last_reviewed = serializers.DateField()
    first_published_at = UTCDateTimeField(allow_null=True)
    last_published_at = UTCDateTimeField(allow_null=True)
    changed_at = UTCDateTimeField(help_text="When this document last changed (for sync).")
    translation = TranslationStateSerializer(
        allow_null=True, help_text="Null for source-language guides."
    )
    audio = GuideAudioSerializer()
    version = GuideVersionSerializer(
        allow_null=True,
        help_text="The guide's public version and the sections it changed, recorded when its "
        "audio went live after a change; null until the first one is.",
    )
    # Detail only (and listings with fields=*).
    discreet_title = serializers.CharField(
        required=False, help_text="Neutral title for tabs and shared links."
    )
    translations = TranslationLinkSerializer(
        many=True, required=False, help_text="Other public languages."
    )
    intro = IntroSerializer(required=False)
    sections = SectionSerializer(many=True, required=False)
    organizations = OrganizationSerializer(many=True, required=False)


class GuideSummarySerializer(GuideSerializer):
    """The listing form: only the fields a listing returns (used to build it)."""

    class Meta:
        fields_excluded = ("discreet_title", "translations", "intro", "sections", "organizations")

    def get_fields(self):
        fields = super().get_fields()
        for name in self.Meta.fields_excluded:
            fields.pop(name)
        return fields


class SyncRenditionSerializer(RenditionSerializer):
    guide = serializers.IntegerField(help_text="Guide (page) id.")
    locale = serializers.CharField()
    changed_at = UTCDateTimeField(help_text="When this entry last changed (for sync).")


class ListingMetaSerializer(serializers.Serializer):
    total_count = serializers.IntegerField(
        help_text="Items matching the filters, before limit/offset."
    )
    limit = serializers.IntegerField()
    offset = serializers.IntegerField()
    as_of = UTCDateTimeField(
        help_text="Pass this as changed_since next time to get only what changed."
    )
    changed_since = UTCDateTimeField(allow_null=True)


class RemovedGuideSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    locale = serializers.CharField()
    removed_at = UTCDateTimeField()


class RemovedRenditionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    guide = serializers.IntegerField()
    locale = serializers.CharField()
    removed_at = UTCDateTimeField()


class GuideListingSerializer(serializers.Serializer):
    meta = ListingMetaSerializer()
    items = GuideSerializer(many=True)
    removed = RemovedGuideSerializer(
        many=True,
        help_text=(
            "With changed_since: guides that stopped being public (unpublished, deleted, "
            "restricted) since then. Empty otherwise."
        ),
    )


class RenditionListingSerializer(serializers.Serializer):
    meta = ListingMetaSerializer()
    items = SyncRenditionSerializer(many=True)
    removed = RemovedRenditionSerializer(
        many=True,
        help_text=(
            "With changed_since: renditions replaced or withdrawn since then. Empty otherwise."
        ),
    )


class ErrorBodySerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text="Machine-readable: invalid_parameter, not_found, throttled, ..."
    )
    message = serializers.CharField(help_text="Human-readable, in English.")


class ErrorSerializer(serializers.Serializer):
    error = ErrorBodySerializer()
