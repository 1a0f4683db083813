from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView

from directory.urls import cas_urlpatterns, oidc_urlpatterns
from measures import urls as measures_urls
from portal.views import home, my_page

from . import session_notice

admin.site.site_header = _("FTZ Tracker administration")
admin.site.site_title = _("FTZ Tracker")
admin.site.index_title = _("Administration")

urlpatterns = [
    path("", home, name="home"),
    # Resolved per request: with hashed static names the manifest exists only after collectstatic.
    path("favicon.ico", RedirectView.as_view(url=lazy(static, str)("img/favicon.svg"), permanent=True)),
    path("accounts/session/", session_notice.keep_alive, name="session-keep-alive"),
    # Sign-in, sign-out and changing one's own password; no self-service reset (an administrator
    # sets a new password in the admin, see README), so no unthrottled mail-sending form is exposed.
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password_change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "accounts/password_change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("oidc/", include(oidc_urlpatterns)),
    path("cas/", include(cas_urlpatterns)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("health/", include("ftztracker.health")),
    path("api/v1/", include("api.urls")),
    path("", include("measures.zone_pages.urls")),
    path("", include("plans.urls")),
    path("", include("zones.urls")),
    # The my page draws on indicators as well, so it lives above both apps (portal) and joins the
    # measures namespace here: its name stays measures:my.
    path(
        "", include(([path("my/", my_page, name="my"), *measures_urls.urlpatterns], measures_urls.app_name))
    ),
    path("", include("indicators.urls")),
    path("", include("notifications.urls")),
    path("", include("stocktakes.urls")),
]
