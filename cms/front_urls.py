"""Front URLs that must live at the site root (outside /es/, /en/, /cak/)."""

from django.urls import path

from . import views

urlpatterns = [
    path("sw.js", views.service_worker, name="service-worker"),
    path("guardado/<int:page_id>.json", views.saved_guide, name="saved-guide"),
]
