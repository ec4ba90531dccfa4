"""Kaqchikel ("cak") is a language Django does not know: the two fixes hold."""

import pytest
from django.utils.translation import check_for_language, get_language_info, gettext, override


def test_kaqchikel_has_language_info_in_its_own_name():
    info = get_language_info("cak")
    assert info["name_local"] == "Kaqchikel"
    assert info["bidi"] is False


def test_kaqchikel_catalog_makes_it_an_available_language():
    assert check_for_language("cak")


def test_untranslated_interface_strings_fall_back_to_spanish():
    with override("cak"):
        assert gettext("Salir rápido") == "Salir rápido"
    with override("en"):
        assert gettext("Salir rápido") == "Quick exit"


@pytest.mark.django_db
def test_kaqchikel_prefix_is_served_not_redirected_to_spanish(client):
    response = client.get("/cak/")
    assert response.status_code == 200
    assert response.headers["Content-Language"] == "cak"


@pytest.mark.django_db
def test_admin_account_page_lists_languages_without_crashing(admin_client):
    assert admin_client.get("/admin/account/").status_code == 200


@pytest.mark.django_db
def test_admin_locale_management_shows_kaqchikel(admin_client):
    response = admin_client.get("/admin/locales/")
    assert response.status_code == 200
    assert "Kaqchikel" in response.content.decode()


def test_compiled_catalogs_match_their_sources():
    from django.core.management import call_command

    call_command("compile_catalogs", "--check")
