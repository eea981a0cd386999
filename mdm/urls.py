"""What devices reach (enrollment profile, modern authentication's web view, SCEP, MDM check-in and
commands, Company Portal): no portal session."""

from __future__ import annotations

from django.urls import path

from mdm.views import company_portal as company_portal_views
from mdm.views import enrollment as enrollment_views
from mdm.views import mdm_protocol as mdm_views
from mdm.views import scep as scep_views

app_name = "enroll"
urlpatterns = [
    path("enroll/<id:token_id>/", enrollment_views.enroll, name="enroll"),
    path("enroll/<id:token_id>/web/", enrollment_views.web_enrollment, name="web_enrollment"),
    path("enroll/<id:token_id>/scep", scep_views.scep_service, name="scep"),
    path("mdm/checkin", mdm_views.mdm_checkin, name="mdm_checkin"),
    path("mdm/connect", mdm_views.mdm_connect, name="mdm_connect"),
    path("company-portal/", company_portal_views.home, name="company_portal"),
    path("company-portal/signin/", company_portal_views.sign_in, name="company_portal_signin"),
    path("company-portal/signout/", company_portal_views.sign_out, name="company_portal_signout"),
    path("company-portal/install/", company_portal_views.install, name="company_portal_install"),
    path("company-portal/apps/<str:bundle_id>.svg", company_portal_views.app_icon, name="app_icon"),
]
