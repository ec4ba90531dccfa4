"""Public radio URLs (podcast feeds), mounted at /feeds/ outside i18n patterns."""

urlpatterns = []
