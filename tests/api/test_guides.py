"""What apps, radios and partners read: guides in every locale, whole."""

from audio.text import speech_sections
from cms.models import GuidePage

from .conftest import get_json, guide_ids, section


def demo_guide(language, slug="mixco"):
    return GuidePage.objects.get(locale__language_code=language, slug=slug)


def test_listing_has_every_demo_guide_in_every_locale(api):
    listing = get_json(api, "/api/v2/guides/")
    found = {(item["locale"], item["slug"]) for item in listing["items"]}
    assert found == {(lang, slug) for lang in ("es", "en", "cak") for slug in ("mixco", "patzun")}
    assert listing["meta"]["total_count"] == 6
    assert listing["removed"] == []


def test_listing_filters_by_locale_and_slug(api):
    listing = get_json(api, "/api/v2/guides/?locale=en")
    assert {item["locale"] for item in listing["items"]} == {"en"}
    assert len(listing["items"]) == 2
    listing = get_json(api, "/api/v2/guides/?locale=es&slug=patzun")
    assert guide_ids(listing) == [demo_guide("es", "patzun").pk]


def test_translation_of_lists_the_other_languages(api):
    source = demo_guide("es")
    listing = get_json(api, f"/api/v2/guides/?translation_of={source.pk}")
    assert sorted(item["locale"] for item in listing["items"]) == ["cak", "en"]
    assert get_json(api, "/api/v2/guides/?translation_of=999999")["items"] == []


def test_limit_and_offset_page_through_the_listing(api):
    first = get_json(api, "/api/v2/guides/?limit=4")
    second = get_json(api, "/api/v2/guides/?limit=4&offset=4")
    assert len(first["items"]) == 4 and len(second["items"]) == 2
    assert first["meta"]["total_count"] == second["meta"]["total_count"] == 6
    assert not set(guide_ids(first)) & set(guide_ids(second))


def test_listing_items_are_summaries_unless_fields_star(api):
    item = get_json(api, "/api/v2/guides/?locale=es&slug=mixco")["items"][0]
    assert "sections" not in item and {"place", "summary", "last_reviewed", "audio"} <= set(item)
    whole = get_json(api, "/api/v2/guides/?locale=es&slug=mixco&fields=*")["items"][0]
    assert whole == get_json(api, f"/api/v2/guides/{item['id']}/")


def test_guide_detail_has_place_summary_review_date_and_translations(api):
    guide = demo_guide("es")
    data = get_json(api, f"/api/v2/guides/{guide.pk}/")
    assert data["locale"] == data["language"] == "es"
    assert data["title"] == guide.title
    assert data["place"] == {"name": guide.place_name, "department": guide.department}
    assert data["summary"] == guide.summary
    assert data["last_reviewed"] == guide.last_reviewed.isoformat()
    assert data["translation"] is None
    assert sorted(t["locale"] for t in data["translations"]) == ["cak", "en"]
    assert data["html_url"].endswith("/es/mixco/")


def test_guide_by_locale_and_slug_is_the_same_document(api):
    guide = demo_guide("en")
    assert get_json(api, "/api/v2/guides/en/mixco/") == get_json(api, f"/api/v2/guides/{guide.pk}/")


def test_sections_carry_stable_ids_plain_text_html_and_pictograms(api):
    guide = demo_guide("es")
    data = get_json(api, f"/api/v2/guides/{guide.pk}/")
    blocks = list(guide.sections)
    assert [s["id"] for s in data["sections"]] == [str(b.id) for b in blocks]
    spoken = {s.id: s for s in speech_sections(guide)}
    for block, returned in zip(blocks, data["sections"], strict=True):
        assert returned["heading"] == block.value["heading"]
        assert returned["key_point"] == (block.value.get("key_point") or "")
        assert returned["text"] == spoken[str(block.id)].text
        assert returned["sentences"] == list(spoken[str(block.id)].sentences)
        assert returned["html"].startswith("<") and "linktype" not in returned["html"]
        if block.value.get("pictogram"):
            assert returned["pictogram"]["key"] == block.value["pictogram"]
            assert returned["pictogram"]["svg_path"]
    assert data["intro"]["text"] == spoken["intro"].text


def test_the_same_section_keeps_its_id_in_every_language(api):
    ids = {
        language: [s["id"] for s in get_json(api, f"/api/v2/guides/{language}/mixco/")["sections"]]
        for language in ("es", "en", "cak")
    }
    assert ids["es"] == ids["en"] == ids["cak"]


def test_english_translation_is_english(api):
    data = get_json(api, "/api/v2/guides/en/mixco/")
    assert data["language"] == "en"
    assert data["translation"]["complete"] is True
    assert data["translation"]["fallback_language"] is None
    assert data["title"] == demo_guide("en").title
    assert {org["language"] for org in data["organizations"]} == {"en"}


def test_organizations_are_listed_with_their_contact_fields(api):
    guide = demo_guide("es")
    data = get_json(api, f"/api/v2/guides/{guide.pk}/")
    assert [org["id"] for org in data["organizations"]] == [b.value.pk for b in guide.organizations]
    first = data["organizations"][0]
    assert set(first) == {
        "id",
        "language",
        "name",
        "offers",
        "serves",
        "area",
        "how_to_reach",
        "phone",
        "email",
        "website",
        "verified_on",
    }


def test_section_html_links_go_to_public_pages_only(api, make_guide):
    target = demo_guide("es", "patzun")
    draft = make_guide(slug="borrador", publish=False)
    guide = make_guide(
        sections=[
            section(
                "Enlaces",
                body=(
                    f'<p>Vea <a id="{target.pk}" linktype="page">Patzún</a> '
                    f'y <a id="{draft.pk}" linktype="page">esto</a>.</p>'
                ),
            )
        ]
    )
    html = get_json(api, f"/api/v2/guides/{guide.pk}/")["sections"][0]["html"]
    assert '<a href="http://127.0.0.1:8000/es/patzun/">Patzún</a>' in html
    assert "borrador" not in html and "<a>esto</a>" in html
