from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.urls import include, path, re_path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from config.health import healthz

# JSON errors under /api/ (a bad Host header, a crash outside our views), Django's elsewhere.
handler400 = "cms.api.errors.bad_request"
handler500 = "cms.api.errors.server_error"

# The admin and the API stay outside i18n_patterns: a 404 there must
# not turn into a redirect to /es/....
urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/", include("config.api")),
    path("feeds/", include("audio.radio.urls")),
    # The phone line's TwiML webhooks (hosted providers); answers 404 while no token is set.
    path("telefono/", include("audio.phone.urls")),
    path("", include("cms.front_urls")),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
]

if settings.ALTAVOZ_SERVE_MEDIA:
    from audio.reach import counts_reach
    from audio.serving import serve_media

    # Range-capable media serving (audio must seek on iPhones), embedded default; plays,
    # ends and saves of guides' audio are counted (anonymously) from its answers.
    urlpatterns.append(re_path(r"^media/(?P<path>.+)$", counts_reach(serve_media)))

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()

urlpatterns += i18n_patterns(
    path("", include(wagtail_urls)),
    prefix_default_language=True,
)
