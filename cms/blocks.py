"""StreamField blocks for guides.

A guide is an ordered list of sections. Each section's block id is its stable
identity: audio clips, captions, chapters and radio spots are made per section
and keyed by it, and wagtail-localize keeps the id across translations.
"""

from html.parser import HTMLParser

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.blocks.struct_block import StructBlockValidationError

from .pictograms import PICTOGRAM_CHOICES

SECTION_BODY_FEATURES = ["bold", "italic", "ol", "ul", "link"]
SAFE_LINK_SCHEMES = ("http://", "https://", "mailto:", "tel:")
# Tags Draftail produces for SECTION_BODY_FEATURES (plus <br> from soft breaks).
ALLOWED_BODY_TAGS = {"p", "b", "i", "strong", "em", "ul", "ol", "li", "a", "br"}


class _BodyChecker(HTMLParser):
    """Collects problems in a section body's stored rich text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems = []
        self.open_tags = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag not in ALLOWED_BODY_TAGS:
            self.problems.append(_("No se permite la etiqueta <%(tag)s>.") % {"tag": tag})
        if tag == "a":
            self.check_link(attrs)
        if tag != "br":
            self.open_tags.append(tag)

    def handle_endtag(self, tag):
        if tag == "br":
            return
        if not self.open_tags or self.open_tags[-1] != tag:
            self.problems.append(
                _("El texto tiene etiquetas mal cerradas (</%(tag)s>).") % {"tag": tag}
            )
            return
        self.open_tags.pop()

    def check_link(self, attrs):
        if attrs.get("linktype") in {"page", "document"}:
            return
        href = (attrs.get("href") or "").strip()
        if not href.lower().startswith(SAFE_LINK_SCHEMES):
            # Draftail drops javascript: and similar URLs, leaving an <a> with
            # no href: an editor must hear about it rather than lose the link.
            self.problems.append(
                _(
                    "Un enlace no tiene una dirección válida. Use una dirección que empiece "
                    "por https://, http://, mailto: o tel:."
                )
            )


def rich_text_problems(html: str | None) -> list[str]:
    """Human-readable problems with a stored rich text fragment (empty if fine)."""
    checker = _BodyChecker()
    checker.feed(html or "")
    checker.close()
    if checker.open_tags:
        checker.problems.append(_("El texto tiene etiquetas sin cerrar."))
    return list(dict.fromkeys(str(p) for p in checker.problems))


class SectionBodyBlock(blocks.RichTextBlock):
    def __init__(self, **kwargs):
        super().__init__(features=SECTION_BODY_FEATURES, **kwargs)

    def clean(self, value):
        value = super().clean(value)
        problems = rich_text_problems(value.source)
        if problems:
            raise ValidationError(" ".join(problems))
        return value


class SectionBlock(blocks.StructBlock):
    heading = blocks.CharBlock(
        max_length=140,
        label=_("Título de la sección"),
        help_text=_("Corto y claro; muchas veces una pregunta."),
    )
    body = SectionBodyBlock(label=_("Texto"))
    key_point = blocks.CharBlock(
        required=False,
        max_length=240,
        label=_("Idea clave"),
        help_text=_("Opcional: una sola frase con lo más importante."),
    )
    pictogram = blocks.ChoiceBlock(
        choices=PICTOGRAM_CHOICES,
        required=False,
        label=_("Pictograma"),
    )

    def clean(self, value):
        cleaned = super().clean(value)
        if not cleaned.get("heading", "").strip():
            raise StructBlockValidationError(
                block_errors={"heading": ValidationError(_("La sección necesita un título."))}
            )
        return cleaned

    class Meta:
        icon = "doc-full"
        label = _("Sección")
        form_classname = "guide-section"


class GuideSectionsBlock(blocks.StreamBlock):
    section = SectionBlock()

    class Meta:
        min_num = 1
