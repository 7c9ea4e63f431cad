from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from governance import views
from grids.home import views as home_views
from grids.moves import urls as move_urls
from grids.residents import urls as resident_urls
from grids.roster import urls as roster_urls
from grids.tree import urls as tree_urls
from grids.visits import urls as visit_urls

# One "grids" namespace for the features of the grids app, so URL names stay "grids:…".
grids_patterns = (
    tree_urls.urlpatterns
    + visit_urls.urlpatterns
    + resident_urls.urlpatterns
    + roster_urls.urlpatterns
    + move_urls.urlpatterns
)

urlpatterns = [
    path("", home_views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("", include((grids_patterns, "grids"))),
    path("", include("governance.events.urls")),
]

handler400 = "governance.views.bad_request"
handler403 = "governance.views.permission_denied"
handler404 = "governance.views.page_not_found"
handler500 = "governance.views.server_error"
