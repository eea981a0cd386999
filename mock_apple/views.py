from __future__ import annotations

from django.db import connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "mock_apple/index.html")


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """For process managers and tests: answers once the service and its database are up."""
    with connections["apple"].cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok", "service": "mock_apple"})
