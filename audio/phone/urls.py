"""The hosted providers' webhooks, mounted at /telefono/ outside i18n patterns (``views``)."""

from django.urls import path

from . import views

urlpatterns = [
    path("voz/", views.call, name="phone_call"),
    path("voz/<str:language>/", views.call, name="phone_call_language"),
    path("paso/", views.step, name="phone_step"),
]
