"""Public feed URLs, mounted at /feeds/ outside i18n patterns: stations' and listeners' (see
``feeds``)."""

from django.urls import path

from . import views

urlpatterns = [
    path("<str:locale>/radio.xml", views.radio, name="radio_feed"),
    path("<str:locale>/podcast.xml", views.podcast, name="radio_podcast"),
]
