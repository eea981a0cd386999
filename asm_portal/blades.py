"""Rendering of blades: a full page on direct load, only the journey on htmx navigation."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.cache import patch_vary_headers
from django_htmx.http import HttpResponseLocation

from asm_portal import navigation


def render_blade(
    request: HttpRequest,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    blade: str,
    extra_crumbs: list[navigation.Crumb] | None = None,
    status: int = 200,
) -> HttpResponse:
    """Render `template`, whose `journey` partial holds the breadcrumb and the blade.

    `blade` is the url name that places the blade in the navigation tree (breadcrumb and
    selected left-nav item); `extra_crumbs` follow the static trail for blades under an object
    whose URL the static tree cannot know (a token, a profile). An htmx request gets the journey plus out-of-band updates of the
    left nav and the toasts; anything else gets the whole shell, so deep links work.
    """
    context = {
        **(context or {}),
        "crumbs": [*navigation.trail(blade), *(extra_crumbs or [])],
        "nav_section": navigation.section_of(blade),
        "blade_name": blade,
    }
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.history_restore_request:
        response = render(request, f"{template}#journey", context, status=status)
        response.content += render_to_string("ui/_oob.html", context, request).encode()
    else:
        response = render(request, template, context, status=status)
    # One URL answers a fragment to htmx and a page otherwise: caches must keep both apart, or
    # back/forward could replay a bare fragment as the page.
    patch_vary_headers(response, ["HX-Request"])
    return response


def render_fragment(
    request: HttpRequest,
    template: str,
    context: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    """A partial for an in-place update (a grid, a pane), with the toasts out of band."""
    response = render(request, template, context, status=status)
    response.content += render_to_string("ui/_oob_toasts.html", context or {}, request).encode()
    patch_vary_headers(response, ["HX-Request"])
    return response


def render_pane(
    request: HttpRequest,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    blade: str,
    extra_crumbs: list[navigation.Crumb] | None = None,
    status: int = 200,
) -> HttpResponse:
    """A context pane: its `pane` partial for htmx (opened beside the blade), else a whole blade
    (a deep link or a browser without JavaScript)."""
    htmx = getattr(request, "htmx", None)
    # A history restore (back/forward after the cache dropped the page) needs the whole page.
    if htmx and not htmx.history_restore_request:
        return render_fragment(request, f"{template}#pane", context, status=status)
    return render_blade(request, template, context, blade=blade, extra_crumbs=extra_crumbs, status=status)


def render_blade_or_fragment(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    blade: str,
    extra_crumbs: list[navigation.Crumb] | None = None,
    fragment: str = "grid",
    partial: str = "",
) -> HttpResponse:
    """The blade, or only its swappable part (a grid, a status) for htmx asking `fragment=<name>`:
    the partial named `fragment` of the template, or another template's `partial`."""
    htmx = getattr(request, "htmx", None)
    if htmx and request.GET.get("fragment") == fragment:
        return render_fragment(request, partial or f"{template}#{fragment}", context)
    return render_blade(request, template, context, blade=blade, extra_crumbs=extra_crumbs)


def redirect_to_blade(request: HttpRequest, url: str) -> HttpResponse:
    """After a successful form: htmx navigates to the blade (closing the pane), others redirect.

    The navigation response carries the toasts and an empty pane, out of band.
    """
    htmx = getattr(request, "htmx", None)
    if htmx:
        response = HttpResponseLocation(url, target="#journey", swap="innerHTML")
        response.status_code = 204
        return response
    return HttpResponseRedirect(url)


# --- What the apps above add to a blade of an app below --------------------------------------
# A lower app's blade may show facts that a higher app owns (the token's device counts, a
# profile's assigned devices). The higher app registers a provider for that blade from its
# AppConfig.ready(); the lower app's view asks for `blade_extra_context`, never importing it.

ContextProvider = Callable[..., Mapping[str, Any]]
_CONTEXT_PROVIDERS: dict[str, list[ContextProvider]] = {}


def register_blade_context(blade: str, provider: ContextProvider) -> None:
    providers = _CONTEXT_PROVIDERS.setdefault(blade, [])
    if provider not in providers:
        providers.append(provider)


def blade_extra_context(blade: str, **objects: Any) -> dict[str, Any]:
    """The context every registered provider adds to `blade`, given the blade's objects."""
    context: dict[str, Any] = {}
    for provider in _CONTEXT_PROVIDERS.get(blade, []):
        context.update(provider(**objects))
    return context
