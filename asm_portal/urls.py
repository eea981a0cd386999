from __future__ import annotations

from django.urls import include, path

from asm_portal import views

urlpatterns = [
    path("", views.home, name="home"),
    path("signin/", views.signin, name="signin"),
    path("signout/", views.signout, name="signout"),
    path("language/", views.set_language, name="set_language"),
    path("tenant-look/stop/", views.look_stop, name="look_stop"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
    path("enrollment/", views.enrollment, name="enrollment"),
    path("enrollment/apple/", views.apple_enrollment, name="apple_enrollment"),
    path("enrollment/apple/", include("tokens.urls")),
    path("enrollment/apple/", include("profiles.urls")),
    path("enrollment/apple/", include("devices.urls")),
    # School Data Sync: its blades under sds/, and a token's School Data Sync blade under the token.
    path("", include("sds.urls")),
    path("trainer/presets/", include("trainer.urls_presets")),
    path("trainer/", include("trainer.urls")),
    path("", include("mdm.urls")),
    path("devices/", include("mdm.portal_urls")),
    path("tenant-admin/", views.tenant_admin, name="tenant_admin"),
    path("tenant-admin/audit-logs/", views.audit_logs, name="audit_logs"),
    path("tenant-admin/roles/", views.role_list, name="roles"),
    path("tenant-admin/", include("mdm.admin_urls")),
    path("tenant-admin/roles/<id:pk>/", views.role_edit, name="role_edit"),
    # Entra app registrations, Entra's token endpoint and Microsoft Graph (the graph app).
    path("", include("graph.urls")),
]
