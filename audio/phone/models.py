"""What the phone line stores.

- ``PhoneMenuPage``: one per language, under its home page: the fixed prompts
  (``menu.Prompt``) and the guide entries ("Para la guía de Mixco, marque 1"),
  translated with wagtail-localize like a guide and voiced by the same pipeline
  (or recorded, for Kaqchikel) through ``spoken_sections``. Never a web page.
- ``PhoneListen``: how many times a guide section was heard on the phone, per day.
  Nothing else: no caller number, no time of day.
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.http import Http404
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.fields import StreamField
from wagtail.models import Page

from audio.text.speech import SpeechSection, block_sentences, clean_text

from .menu import MAX_GUIDES, Prompt

ENTRY_PREFIX = "entry-"


def entry_section_id(digit: int) -> str:
    """The section id of a guide entry's sentence: ``entry-3`` for the third guide."""
    return f"{ENTRY_PREFIX}{digit}"


# Each prompt: its field, its label and what the editor should write (with an example).
PROMPT_FIELDS = {
    Prompt.GREETING: (
        "greeting",
        _("saludo"),
        _(
            "Lo primero que oye quien llama. Diga qué es la línea y que no se guarda su número. "
            "Ejemplo: «Bienvenida a Altavoz. Esta llamada no guarda su número.»"
        ),
    ),
    Prompt.CHOOSE_LANGUAGE: (
        "choose_language",
        _("elegir este idioma"),
        _(
            "Dicho en este idioma, con la tecla del idioma (1 español, 2 kaqchikel, 3 inglés). "
            "Ejemplo: «Para español, marque 1.»"
        ),
    ),
    Prompt.GUIDE_LIST_HELP: (
        "guide_list_help",
        _("ayuda de la lista de guías"),
        _(
            "Después de la lista de guías: las teclas 0, asterisco y numeral. Ejemplo: «Para "
            "volver a los idiomas, marque 0. Para empezar de nuevo, asterisco. Para colgar, "
            "numeral.»"
        ),
    ),
    Prompt.SECTION_HELP: (
        "section_help",
        _("ayuda dentro de una guía"),
        _(
            "Después de cada sección: 1 siguiente, 2 repetir, 3 anterior, 0 lista de guías, "
            "asterisco inicio, numeral colgar. Ejemplo: «Para seguir, marque 1. Para repetir, 2.»"
        ),
    ),
    Prompt.END_OF_GUIDE: (
        "end_of_guide",
        _("fin de la guía"),
        _("Al terminar la última sección. Ejemplo: «Esta guía terminó.»"),
    ),
    Prompt.INVALID: (
        "invalid",
        _("tecla no válida"),
        _("Cuando marcan una tecla que no sirve aquí. Ejemplo: «Esa tecla no es una opción.»"),
    ),
    Prompt.GOODBYE: (
        "goodbye",
        _("despedida"),
        _(
            "Después de tres esperas sin respuesta, antes de colgar. "
            "Ejemplo: «Gracias por llamar. Cuídese.»"
        ),
    ),
    Prompt.COMING_SOON: (
        "coming_soon",
        _("idioma en preparación"),
        _(
            "Solo el del menú en español se usa: se dice cuando un idioma aún no está listo. "
            "Ejemplo: «La línea en kaqchikel está en preparación.»"
        ),
    ),
}


class GuideEntryBlock(blocks.StructBlock):
    guide = blocks.PageChooserBlock(page_type="cms.GuidePage", label=_("guía"))
    sentence = blocks.CharBlock(
        max_length=200,
        label=_("frase"),
        help_text=_(
            "Lo que se dice para esta guía, con su tecla: «Para la guía de Mixco, marque 1»."
        ),
    )

    class Meta:
        icon = "site"
        label = _("guía")


class GuideEntriesBlock(blocks.StreamBlock):
    guide = GuideEntryBlock()

    class Meta:
        max_num = MAX_GUIDES

    def clean(self, value):
        value = super().clean(value)
        errors = {}
        for index, child in enumerate(value):
            digit = str(index + 1)
            if digit not in (child.value.get("sentence") or ""):
                errors[index] = ValidationError(
                    gettext(
                        "Esta es la guía %(digit)s del menú: la frase debe decir su tecla, "
                        "«%(digit)s» (por ejemplo «Para la guía de Mixco, marque %(digit)s»)."
                    )
                    % {"digit": digit}
                )
        if errors:
            raise blocks.StreamBlockValidationError(block_errors=errors)
        return value


def _prompt_field(prompt):
    _name, label, help_text = PROMPT_FIELDS[prompt]
    return models.TextField(label, blank=True, help_text=help_text)


class PhoneMenuPage(Page):
    """The phone line's menu in one language: what it says besides the guides themselves.

    Its prompts and entries are its sections of speech (``spoken_sections``), so the
    audio job voices them as it voices a guide, and the recording studio records them.
    """

    greeting = _prompt_field(Prompt.GREETING)
    choose_language = _prompt_field(Prompt.CHOOSE_LANGUAGE)
    guide_list_help = _prompt_field(Prompt.GUIDE_LIST_HELP)
    section_help = _prompt_field(Prompt.SECTION_HELP)
    end_of_guide = _prompt_field(Prompt.END_OF_GUIDE)
    invalid = _prompt_field(Prompt.INVALID)
    goodbye = _prompt_field(Prompt.GOODBYE)
    coming_soon = _prompt_field(Prompt.COMING_SOON)
    guides = StreamField(
        GuideEntriesBlock(),
        blank=True,
        verbose_name=_("guías del menú"),
        help_text=_("Hasta 8, en el orden de sus teclas (la primera es el 1)."),
    )

    content_panels = Page.content_panels + [
        MultiFieldPanel(
            [FieldPanel(name) for name, _label, _help in PROMPT_FIELDS.values()],
            heading=_("Mensajes"),
        ),
        FieldPanel("guides"),
    ]
    promote_panels = [FieldPanel("slug")]  # no SEO, no menus: it is no web page
    preview_modes = []  # not a web page: nothing to preview

    parent_page_types = ["cms.HomePage"]
    subpage_types = []
    max_count_per_parent = 1

    # Only phone files are made for it (audio.pipeline): no web renditions, no feeds.
    on_the_web = False

    class Meta:
        verbose_name = _("menú telefónico")
        verbose_name_plural = _("menús telefónicos")

    def route(self, request, path_components):
        raise Http404  # heard on the phone, never a web page

    def serve(self, request, *args, **kwargs):
        raise Http404

    def get_sitemap_urls(self, request=None):
        return []

    def prompt_text(self, prompt: Prompt) -> str:
        return getattr(self, PROMPT_FIELDS[prompt][0]) or ""

    def spoken_sections(self) -> list[SpeechSection]:
        """Each prompt (id: its ``Prompt`` value), then each entry (``entry-<digit>``).

        Empty prompts are left out: they have nothing to voice.
        """
        sections = []
        for prompt in Prompt:
            section = _section(
                prompt.value, str(PROMPT_FIELDS[prompt][1]), self.prompt_text(prompt)
            )
            if section:
                sections.append(section)
        for digit, (_page_id, sentence) in enumerate(self.entries(), start=1):
            section = _section(entry_section_id(digit), sentence, sentence)
            if section:
                sections.append(section)
        return sections

    def entries(self) -> list[tuple[int | None, str]]:
        """(chosen guide's page id, sentence) per entry, in digit order."""
        result = []
        for child in list(self.guides)[:MAX_GUIDES]:
            guide = child.value.get("guide")
            page_id = guide if isinstance(guide, int) else getattr(guide, "pk", None)
            result.append((page_id, child.value.get("sentence") or ""))
        return result


def _section(section_id: str, heading: str, text: str) -> SpeechSection | None:
    sentences = block_sentences([text])
    return SpeechSection(section_id, clean_text(heading), tuple(sentences)) if sentences else None


class PhoneListen(models.Model):
    """How many times one guide section was started on the phone line on one day."""

    day = models.DateField()
    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="phone_listens")
    section_id = models.CharField(max_length=64)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "page", "section_id"], name="one_phone_count_per_day_and_section"
            )
        ]

    def __str__(self):
        return f"{self.day} {self.page_id} {self.section_id}: {self.count}"
