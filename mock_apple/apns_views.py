"""APNs' provider API endpoint of the mock (mock_apple.apns says what it answers)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from mock_apple import apns
from mock_apple.control_views import control


@csrf_exempt
def device_push(request: HttpRequest, token: str) -> HttpResponse:
    """POST /3/device/<token>."""
    if request.method != "POST":
        response = HttpResponse(b'{"reason":"MethodNotAllowed"}', status=405, content_type="application/json")
        response["Allow"] = "POST"
        return response
    body = request.read(apns.MAX_PAYLOAD + 1)
    answer = apns.apns_push_receive(token=token, headers=request.headers, body=body, path=request.path)
    response = HttpResponse(answer.body(), status=answer.status, content_type="application/json")
    response["apns-id"] = answer.apns_id
    return response


@control("POST", scoped=False)
def token_unregister(request: HttpRequest, token: str) -> HttpResponse:
    """POST /_mock/apns/tokens/<token>/unregister: pushes to that token answer 410."""
    device_token = apns.apns_token_unregister(token=token)
    return JsonResponse({"token": device_token.token, "unregistered_at": device_token.unregistered_at})
