from __future__ import annotations

from django.urls import path

from tokens import views

app_name = "tokens"
urlpatterns = [
    path("push-certificate/", views.push_certificate, name="push_certificate"),
    path("push-certificate/csr/", views.push_certificate_csr, name="push_certificate_csr"),
    path("push-certificate/upload/", views.push_certificate_upload, name="push_certificate_upload"),
    path("tokens/", views.token_list, name="list"),
    path("tokens/add/", views.token_add, name="add"),
    path("tokens/add/public-key/", views.token_public_key, name="add_public_key"),
    path("tokens/<id:pk>/", views.token_detail, name="detail"),
    path("tokens/<id:pk>/renew/", views.token_renew, name="renew"),
    path("tokens/<id:pk>/renew/public-key/", views.token_public_key, name="renew_public_key"),
    path("tokens/<id:pk>/delete/", views.token_delete, name="delete"),
]
