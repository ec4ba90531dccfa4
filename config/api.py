"""The public HTTP API: every endpoint is registered here (see README, "API")."""

urlpatterns = []
