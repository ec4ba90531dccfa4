"""Front URLs that must live at the site root (outside /es/, /en/, /cak/)."""

urlpatterns = []
