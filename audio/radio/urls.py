"""Public radio URLs (podcast feeds), mounted at /feeds/ outside i18n patterns."""

from django.urls import path

from . import views

urlpatterns = [
    path("<str:locale>/podcast.xml", views.podcast, name="radio_podcast"),
]
