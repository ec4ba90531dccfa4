import re

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.models import TranslatableMixin
from wagtail.search import index
from wagtail_localize.fields import SynchronizedField, TranslatableField

PHONE_RE = re.compile(r"^\+?[0-9][0-9 \-]{2,18}[0-9]$")


def validate_phone(value: str) -> None:
    if not PHONE_RE.match(value):
        raise ValidationError(
            _(
                "Escriba solo números, espacios, guiones y un + inicial "
                "(por ejemplo 1572 o +502 2222 3333)."
            )
        )


class Organization(TranslatableMixin, index.Indexed, models.Model):
    """A place or group a listener can turn to.

    Contact fields are optional on purpose: a wrong number in a safety guide can
    hurt someone, so editors leave a field empty until it has been verified, and
    ``verified_on`` says when someone last checked.
    """

    name = models.CharField(_("nombre"), max_length=200)
    offers = models.TextField(_("qué ofrece"))
    serves = models.TextField(_("a quién atiende"), blank=True)
    area = models.CharField(_("dónde trabaja"), max_length=255, blank=True)
    how_to_reach = models.TextField(
        _("cómo contactar"),
        blank=True,
        help_text=_("En palabras sencillas. No escriba datos que no haya verificado."),
    )
    phone = models.CharField(_("teléfono"), max_length=20, blank=True, validators=[validate_phone])
    email = models.EmailField(_("correo"), blank=True)
    website = models.URLField(_("sitio web"), blank=True)
    verified_on = models.DateField(
        _("datos verificados el"),
        null=True,
        blank=True,
        help_text=_("Fecha en que alguien confirmó los datos de contacto."),
    )

    # Contact details are facts, not text: they are copied to translations,
    # never retyped by translators.
    translatable_fields = [
        TranslatableField("name"),
        TranslatableField("offers"),
        TranslatableField("serves"),
        TranslatableField("area"),
        TranslatableField("how_to_reach"),
        SynchronizedField("phone"),
        SynchronizedField("email"),
        SynchronizedField("website"),
        SynchronizedField("verified_on"),
    ]

    panels = [
        FieldPanel("name"),
        FieldPanel("offers"),
        FieldPanel("serves"),
        FieldPanel("area"),
        MultiFieldPanel(
            [
                FieldPanel("how_to_reach"),
                FieldPanel("phone"),
                FieldPanel("email"),
                FieldPanel("website"),
                FieldPanel("verified_on"),
            ],
            heading=_("Contacto"),
        ),
    ]

    search_fields = [index.SearchField("name"), index.AutocompleteField("name")]

    class Meta(TranslatableMixin.Meta):
        verbose_name = _("organización")
        verbose_name_plural = _("organizaciones")
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def has_contact_details(self) -> bool:
        return bool(self.phone or self.email or self.website)
