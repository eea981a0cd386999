"""Reads for the App registrations blades (scoped: another tenant's app is a 404)."""

from __future__ import annotations

from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404

from graph.models import AppCertificate, AppRegistration, ClientSecret


def apps_for_grid() -> QuerySet[AppRegistration]:
    return AppRegistration.objects.annotate(secret_count=Count("secrets", distinct=True)).order_by(
        "display_name", "pk"
    )


def app_get(*, pk: int) -> AppRegistration:
    return get_object_or_404(AppRegistration.objects.all(), pk=pk)


def secret_get(*, app: AppRegistration, pk: int) -> ClientSecret:
    return get_object_or_404(ClientSecret.objects.filter(app=app), pk=pk)


def certificate_get(*, app: AppRegistration, pk: int) -> AppCertificate:
    return get_object_or_404(AppCertificate.objects.filter(app=app), pk=pk)
