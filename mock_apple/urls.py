"""The mock Apple service's URLconf, served by its own process (ASM_SERVICE=apple).

Apple's DEP API sits at the root, at Apple's paths (no trailing slashes); the Apple School
Manager portal under /asm/, the Apple Push Certificates portal under /push/, and the control
API for tests and trainers under /_mock/.
"""

from __future__ import annotations

from django.urls import path, re_path

from mock_apple import (
    api_account_views,
    apns_views,
    axm_views,
    control_views,
    dep_views,
    ipad_views,
    roster_api,
    roster_views,
    views,
)

urlpatterns = [
    path("", views.index, name="apple_index"),
    path("health", views.health, name="apple_health"),
    # Apple School Manager
    path("asm/", views.home, name="asm_home"),
    path("asm/signin/", views.signin, name="asm_signin"),
    path("asm/signout/", views.signout, name="asm_signout"),
    path("asm/language/", views.set_language, name="asm_language"),
    path("asm/terms/", views.terms, name="asm_terms"),
    path("asm/devices/", views.devices, name="asm_devices"),
    path("asm/devices/<str:serial>/", views.device, name="asm_device"),
    path("asm/assignments/", views.assignments, name="asm_assignments"),
    path("asm/mdm-servers/", views.mdm_servers, name="asm_mdm_servers"),
    path("asm/mdm-servers/add/", views.mdm_server_add, name="asm_mdm_server_add"),
    path("asm/mdm-servers/<str:server_uuid>/", views.mdm_server, name="asm_mdm_server"),
    path(
        "asm/mdm-servers/<str:server_uuid>/certificate/",
        views.mdm_server_certificate,
        name="asm_mdm_server_certificate",
    ),
    path("asm/mdm-servers/<str:server_uuid>/token/", views.mdm_server_token, name="asm_mdm_server_token"),
    path("asm/trainer/", views.faults, name="asm_faults"),
    # Apple School Manager: the roster and the account preferences
    path("asm/people/", roster_views.people, name="asm_people"),
    path("asm/people/sign-in-sheets/", roster_views.sign_in_sheets, name="asm_sign_in_sheets"),
    path("asm/people/<int:pk>/", roster_views.person, name="asm_person"),
    path("asm/people/<int:pk>/reset-password/", roster_views.person_password_reset, name="asm_person_reset"),
    path("asm/classes/", roster_views.classes, name="asm_classes"),
    path("asm/classes/<int:pk>/", roster_views.roster_class, name="asm_class"),
    path("asm/locations/", roster_views.locations, name="asm_locations"),
    path("asm/preferences/", roster_views.preferences, name="asm_preferences"),
    path("asm/preferences/api/", api_account_views.api_accounts_page, name="asm_api_accounts"),
    path(
        "asm/preferences/api/<int:pk>/revoke/",
        api_account_views.api_account_revoke,
        name="asm_api_account_revoke",
    ),
    # Apple Push Certificates portal
    path("push/", views.push_certificates, name="push_certificates"),
    path("push/create/", views.push_certificate_create, name="push_certificate_create"),
    path("push/<int:pk>/renew/", views.push_certificate_renew, name="push_certificate_renew"),
    path("push/<int:pk>/download/", views.push_certificate_download, name="push_certificate_download"),
    # Virtual devices, and Apple's services that devices call
    path("ipad/", ipad_views.device_list, name="ipad_list"),
    path("ipad/<str:serial>/", ipad_views.device_screen, name="ipad_device"),
    path("ipad/<str:serial>/action/", ipad_views.device_action, name="ipad_action"),
    path("ipad/<str:serial>/poll/", ipad_views.screen_poll, name="ipad_poll"),
    path("ipad/<str:serial>/web/<str:key>/", ipad_views.web_view_page, name="ipad_web_view"),
    path("ipad/<str:serial>/apps/company-portal/", ipad_views.company_portal_app, name="ipad_company_portal"),
    path("deviceservices/ca.pem", ipad_views.device_ca, name="device_ca"),
    # Apple's Device Assignment API
    path("session", dep_views.session, name="dep_session"),
    path("account", dep_views.account, name="dep_account"),
    path("server/devices", dep_views.fetch_devices, name="dep_fetch"),
    path("devices/sync", dep_views.sync_devices, name="dep_sync"),
    path("devices", dep_views.device_details, name="dep_details"),
    path("devices/disown", dep_views.disown_devices, name="dep_disown"),
    path("profile", dep_views.profile, name="dep_profile"),
    path("profile/devices", dep_views.profile_devices, name="dep_profile_devices"),
    path("device/activationlock", dep_views.activation_lock, name="dep_activation_lock"),
    path("os-beta-enrollment/tokens", dep_views.beta_enrollment_tokens, name="dep_beta_tokens"),
    path("account-driven-enrollment/profile", dep_views.ade_profile, name="dep_ade_profile"),
    # Apple School Manager API / Apple Business API: OAuth 2 and the JSON:API resources
    path("auth/oauth2/v2/token", axm_views.token, name="axm_token"),
    path("auth/oauth2/token", axm_views.token, name="axm_token_v1"),
    path("v1/orgDevices", axm_views.org_devices, name="axm_devices"),
    path("v1/orgDevices/<str:device_id>", axm_views.org_device, name="axm_device"),
    path(
        "v1/orgDevices/<str:device_id>/appleCareCoverage",
        axm_views.apple_care_coverage,
        name="axm_device_coverage",
    ),
    path(
        "v1/orgDevices/<str:device_id>/relationships/assignedServer",
        axm_views.assigned_server_linkage,
        name="axm_device_server_linkage",
    ),
    path("v1/orgDevices/<str:device_id>/assignedServer", axm_views.assigned_server, name="axm_device_server"),
    path("v1/mdmServers", axm_views.mdm_servers, name="axm_servers"),
    path(
        "v1/mdmServers/<str:server_id>/relationships/devices",
        axm_views.mdm_server_devices,
        name="axm_server_devices",
    ),
    path("v1/orgDeviceActivities", axm_views.org_device_activities, name="axm_activities"),
    path("v1/orgDeviceActivities/<str:activity_id>", axm_views.org_device_activity, name="axm_activity"),
    path("v1/activity-logs/<str:value>.csv", axm_views.activity_log, name="axm_activity_log"),
    re_path(r"^v1/(?P<rest>.*)$", axm_views.not_found, name="axm_not_found"),
    # The emulator's own, shaped like Apple's API: rosters sent by an MDM server (see roster_api)
    path("roster/import", roster_api.roster_import, name="roster_import"),
    # Control API (X-Mock-Control-Token)
    path("_mock/state", control_views.state, name="mock_state"),
    path(
        "_mock/apns/tokens/<str:token>/unregister", apns_views.token_unregister, name="mock_apns_unregister"
    ),
    # APNs provider API (MDM pushes)
    path("3/device/<str:token>", apns_views.device_push, name="apns_device_push"),
    path("_mock/ipads/fleet", control_views.ipad_fleet, name="mock_ipad_fleet"),
    path("_mock/ipads/<str:serial>", control_views.ipad, name="mock_ipad"),
    path("_mock/ipads/<str:serial>/power", control_views.ipad_power, name="mock_ipad_power"),
    path("_mock/ipads/<str:serial>/pane", control_views.ipad_pane, name="mock_ipad_pane"),
    path("_mock/ipads/<str:serial>/setup", control_views.ipad_setup, name="mock_ipad_setup"),
    path("_mock/ipads/<str:serial>/checkin", control_views.ipad_checkin, name="mock_ipad_checkin"),
    path("_mock/ipads/<str:serial>/erase", control_views.ipad_erase, name="mock_ipad_erase"),
    path("_mock/organizations", control_views.organizations, name="mock_organizations"),
    path("_mock/organizations/<str:org_id>", control_views.organization, name="mock_organization"),
    path("_mock/faults", control_views.faults, name="mock_faults"),
    path("_mock/faults/<int:pk>", control_views.fault, name="mock_fault"),
    path("_mock/config", control_views.config, name="mock_config"),
    path("_mock/clock", control_views.clock_offset, name="mock_clock"),
    path("_mock/terms", control_views.terms, name="mock_terms"),
    path("_mock/reset", control_views.reset, name="mock_reset"),
    path("_mock/scenario", control_views.scenario_reset, name="mock_scenario"),
    path("_mock/servers", control_views.servers, name="mock_servers"),
    path("_mock/servers/<str:server_uuid>/token", control_views.server_token, name="mock_server_token"),
    path("_mock/servers/<str:server_uuid>/revoke", control_views.server_revoke, name="mock_server_revoke"),
    path("_mock/servers/<str:server_uuid>/access", control_views.server_access, name="mock_server_access"),
    path("_mock/servers/<str:server_uuid>/profile", control_views.server_profile, name="mock_server_profile"),
    path("_mock/assignments", control_views.assignments, name="mock_assignments"),
    path("_mock/api-accounts", control_views.api_accounts, name="mock_api_accounts"),
    path(
        "_mock/api-accounts/<str:client_id>/revoke", control_views.api_account_revoke, name="mock_api_revoke"
    ),
    path("_mock/api-tokens/expire", control_views.api_tokens_expire, name="mock_api_tokens_expire"),
    path("_mock/api-activities/complete", control_views.api_activities_complete, name="mock_api_complete"),
    # Anything else that is not a page of the portals is Apple's API: Apple's plain 404.
    re_path(r"^(?!asm/|push/|ipad/|_mock/|static/)(?P<rest>.*)$", dep_views.not_found, name="dep_not_found"),
]
