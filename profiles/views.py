from __future__ import annotations

import json
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from asm_portal import navigation
from asm_portal.blades import (
    blade_extra_context,
    redirect_to_blade,
    render_blade,
    render_blade_or_fragment,
    render_pane,
)
from asm_portal.http import AuthenticatedHttpRequest
from asm_portal.models import Notification
from asm_portal.navigation import Crumb
from asm_portal.roles import admin_required, require_change_permission
from asm_portal.services import notification_send
from profiles import services
from profiles.choices import Affinity
from profiles.forms import DefaultProfileForm, ProfileForm, RulesEditionForm, initial_from
from profiles.models import EnrollmentProfile, ProfileSettings
from profiles.rules import ProfileValues, shared_ipad_affinity
from profiles.screens import ARTICLE_2017, SCREENS
from profiles.selectors import profile_get_for_user
from tokens.models import EnrollmentProgramToken, token_secrets_via
from tokens.selectors import token_get_for_user


def _profiles() -> QuerySet[EnrollmentProfile]:
    return EnrollmentProfile.objects.select_related("token").defer(*token_secrets_via("token"))


def _grid_context(profiles: QuerySet[EnrollmentProfile]) -> dict[str, Any]:
    shown = list(profiles)
    # With `assigned_counts` (the « Assigned devices » column), counted by the devices app.
    return {"profiles": shown, **blade_extra_context("profiles:grid", profiles=shown)}


def _crumbs(
    token: EnrollmentProgramToken, profile: EnrollmentProfile | None = None, *, profiles: bool = True
) -> list[Crumb]:
    """Under a token: its name, its Profiles blade and, under a profile, the profile."""
    crumbs = [Crumb(token.token_name, reverse("tokens:detail", args=[token.pk]))]
    if profiles:
        crumbs.append(Crumb(_("Profiles"), reverse("profiles:token_profiles", args=[token.pk])))
    if profile is not None:
        crumbs.append(Crumb(profile.name, reverse("profiles:detail", args=[profile.pk])))
    return crumbs


@require_GET
def profile_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The article's « Profils de programme d'inscription » blade, across tokens."""
    query = request.GET.get("q", "").strip()
    profiles = _profiles()
    if query:
        profiles = profiles.filter(name__icontains=query)
    context = {
        **_grid_context(profiles),
        "query": query,
        "tokens": EnrollmentProgramToken.objects.order_by("token_name"),
        "rules": ProfileSettings.load(),
    }
    return render_blade_or_fragment(request, "profiles/list.html", context, blade="profiles:list")


@require_GET
def token_profiles(request: AuthenticatedHttpRequest, token_id: int) -> HttpResponse:
    token = token_get_for_user(user=request.user, pk=token_id)
    context = {
        "token": token,
        **_grid_context(_profiles().filter(token=token)),
        "rules": ProfileSettings.load(),
        "token_menu": navigation.menu(navigation.TOKEN_MENU),
        "token_menu_selected": "profiles:token_profiles",
    }
    return render_blade(
        request,
        "profiles/token_profiles.html",
        context,
        blade="profiles:token_profiles",
        extra_crumbs=_crumbs(token, profiles=False),
    )


def _form_context(
    form: ProfileForm, *, token: EnrollmentProgramToken, profile: EnrollmentProfile | None
) -> dict[str, Any]:
    edition = ProfileSettings.load().rules_edition
    return {
        "form": form,
        "token": token,
        "profile": profile,
        "edition": edition,
        "shared_ipad_affinity": Affinity(shared_ipad_affinity(edition)).label,
        "article_screens": {screen.key for screen in ARTICLE_2017},
        "certificates": profile.certificates.all() if profile else [],
    }


@require_http_methods(["GET", "POST"])
def profile_create(request: AuthenticatedHttpRequest, token_id: int) -> HttpResponse:
    token = token_get_for_user(user=request.user, pk=token_id)
    require_change_permission(request.user)  # after the lookup (roles.admin_required)
    edition = ProfileSettings.load().rules_edition
    if request.method == "POST":
        form = ProfileForm(request.POST, request.FILES, edition=edition)
        if form.is_valid():
            try:
                result = services.profile_create(
                    actor=request.user,
                    token=token,
                    values=form.to_values(),
                    certificates=form.cleaned_data["certificates"],
                )
            except services.ProfileRefused as refused:
                refused.add_to_form(form)
            else:
                _notify_saved(request, result, _("Profile created"))
                return redirect_to_blade(request, reverse("profiles:detail", args=[result.profile.pk]))
    else:
        form = ProfileForm(initial=initial_from(ProfileValues()), edition=edition)
    context = _form_context(form, token=token, profile=None)
    return render_blade(
        request, "profiles/form.html", context, blade="profiles:create", extra_crumbs=_crumbs(token)
    )


@require_http_methods(["GET", "POST"])
def profile_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    profile = profile_get_for_user(user=request.user, pk=pk)
    require_change_permission(request.user)  # after the lookup (roles.admin_required)
    edition = ProfileSettings.load().rules_edition
    certificates = profile.certificates.all()
    if request.method == "POST":
        form = ProfileForm(request.POST, request.FILES, edition=edition, existing_certificates=certificates)
        if form.is_valid():
            try:
                result = services.profile_update(
                    actor=request.user,
                    profile=profile,
                    values=form.to_values(),
                    add_certificates=form.cleaned_data["certificates"],
                    remove_certificate_ids=[c.pk for c in form.cleaned_data["remove_certificates"]],
                )
            except services.ProfileRefused as refused:
                refused.add_to_form(form)
            else:
                _notify_saved(request, result, _("Profile saved"))
                return redirect_to_blade(request, reverse("profiles:detail", args=[profile.pk]))
    else:
        form = ProfileForm(
            initial=initial_from(profile.values()), edition=edition, existing_certificates=certificates
        )
    context = _form_context(form, token=profile.token, profile=profile)
    return render_blade(
        request,
        "profiles/form.html",
        context,
        blade="profiles:edit",
        extra_crumbs=_crumbs(profile.token, profile),
    )


def _notify_saved(request: AuthenticatedHttpRequest, result: services.SaveResult, title: str) -> None:
    notification_send(
        user=request.user,
        title=title,
        body=" ".join([_("%(name)s was saved.") % {"name": result.profile.name}, *result.notices]),
        level=Notification.Level.WARNING if result.notices else Notification.Level.SUCCESS,
        link=reverse("profiles:detail", args=[result.profile.pk]),
    )


@require_GET
def profile_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    profile = profile_get_for_user(user=request.user, pk=pk)
    context = {
        "profile": profile,
        "token": profile.token,
        "assigned_count": services.profile_assigned_device_count(profile),
        "hidden_screens": [screen for screen in SCREENS if screen.key in profile.values().hidden_screens],
        "certificates": profile.certificates.all(),
    }
    return render_blade(
        request, "profiles/detail.html", context, blade="profiles:detail", extra_crumbs=_crumbs(profile.token)
    )


@require_GET
def profile_json(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """« View as JSON »: what Apple receives and what Graph shows, side by side."""
    profile = profile_get_for_user(user=request.user, pk=pk)
    context = {
        "profile": profile,
        "token": profile.token,
        "apple_json": json.dumps(services.profile_apple_json(profile), indent=2, ensure_ascii=False),
        "graph_json": json.dumps(services.profile_graph_json(profile), indent=2, ensure_ascii=False),
    }
    return render_pane(
        request,
        "profiles/json.html",
        context,
        blade="profiles:json",
        extra_crumbs=_crumbs(profile.token, profile),
    )


@require_http_methods(["GET", "POST"])
def profile_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    profile = profile_get_for_user(user=request.user, pk=pk)
    require_change_permission(request.user)  # after the lookup (roles.admin_required)
    error = ""
    if request.method == "POST":
        token_id = profile.token_id
        try:
            services.profile_delete(actor=request.user, profile=profile)
        except services.ProfileRefused as refused:
            error = str(refused)
        else:
            notification_send(
                user=request.user,
                title=_("Profile deleted"),
                body=_("%(name)s was deleted.") % {"name": profile.name},
                level=Notification.Level.SUCCESS,
            )
            return redirect_to_blade(request, reverse("profiles:token_profiles", args=[token_id]))
    context = {"profile": profile, "token": profile.token, "error": error}
    return render_blade(
        request,
        "profiles/delete.html",
        context,
        blade="profiles:delete",
        extra_crumbs=_crumbs(profile.token, profile),
    )


@require_http_methods(["GET", "POST"])
def default_profile(request: AuthenticatedHttpRequest, token_id: int) -> HttpResponse:
    token = token_get_for_user(user=request.user, pk=token_id)
    require_change_permission(request.user)  # after the lookup (roles.admin_required)
    choices = EnrollmentProfile.objects.filter(token=token)
    current = choices.filter(is_default=True).first()
    form = DefaultProfileForm(request.POST or None, profiles=choices, initial={"profile": current})
    if request.method == "POST" and form.is_valid():
        services.profile_set_default(actor=request.user, profile=form.cleaned_data["profile"])
        notification_send(
            user=request.user,
            title=_("Default profile set"),
            body=_("%(profile)s is now the default profile of %(token)s.")
            % {"profile": form.cleaned_data["profile"].name, "token": token.token_name},
            level=Notification.Level.SUCCESS,
        )
        return redirect_to_blade(request, reverse("profiles:token_profiles", args=[token.pk]))
    context = {"token": token, "form": form}
    return render_pane(
        request,
        "profiles/default_profile.html",
        context,
        blade="profiles:default",
        extra_crumbs=_crumbs(token, profiles=False),
    )


@require_http_methods(["GET", "POST"])
@admin_required
def rules_edition(request: AuthenticatedHttpRequest) -> HttpResponse:
    current = ProfileSettings.load()
    form = RulesEditionForm(request.POST or None, initial={"rules_edition": current.rules_edition})
    if request.method == "POST" and form.is_valid():
        services.rules_edition_set(actor=request.user, edition=form.cleaned_data["rules_edition"])
        return redirect_to_blade(request, reverse("profiles:list"))
    context = {"form": form}
    return render_pane(request, "profiles/rules_edition.html", context, blade="profiles:rules")
