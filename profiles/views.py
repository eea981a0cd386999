from __future__ import annotations

import json
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from asm_portal import navigation, texts
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
from asm_portal.texts import Text
from profiles import rules, services
from profiles.choices import Affinity
from profiles.forms import (
    BASICS,
    REVIEW,
    SECTIONS,
    STEP_FIELDS,
    STEP_TITLES,
    DefaultProfileForm,
    ProfileForm,
    RulesEditionForm,
    initial_from,
)
from profiles.models import EnrollmentProfile, ProfileSettings
from profiles.rules import ProfileValues
from profiles.screens import ARTICLE_2017
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


def _wizard_context(
    form: ProfileForm,
    *,
    step: str,
    steps: tuple[str, ...],
    token: EnrollmentProgramToken,
    profile: EnrollmentProfile | None,
    outcome: rules.Outcome | None = None,
) -> dict[str, Any]:
    edition = ProfileSettings.load().rules_edition
    index = steps.index(step)
    return {
        "form": form,
        "token": token,
        "profile": profile,
        "edition": edition,
        "step": step,
        "steps": [(key, STEP_TITLES[key]) for key in steps],
        "step_index": index,
        "is_last_step": index == len(steps) - 1,
        # Only this step's errors: going back shows the earlier step as it was, unchecked.
        "step_has_errors": form.is_bound
        and any(name in STEP_FIELDS.get(step, ()) or name == "__all__" for name in form.errors),
        "hidden_fields": form.hidden_values(step),
        "staged_certificates": form.staged_certificates() if form.is_bound else [],
        "review": form.review_sections(outcome.values) if outcome is not None else [],
        "notices": outcome.notices if outcome is not None else [],
        "shared_ipad_affinity": Affinity(rules.shared_ipad_affinity(edition)).label,
        "required_affinity": rules.shared_ipad_affinity(edition),
        "shared_ipad_turned_off": rules.shared_ipad_turned_off(edition),
        "article_screens": {screen.key for screen in ARTICLE_2017},
        "certificates": profile.certificates.all() if profile else [],
    }


def _wizard(
    request: AuthenticatedHttpRequest,
    *,
    token: EnrollmentProgramToken,
    profile: EnrollmentProfile | None,
    steps: tuple[str, ...],
) -> HttpResponse | dict[str, Any]:
    """One step of the wizard: Next checks the step (the form's fields and the rules), Previous
    goes back unchecked, the last step saves. Every step posts every setting (the others in
    hidden fields), so nothing is kept on the server between steps. Returns the context of the
    step to show, or the response after saving."""
    edition = ProfileSettings.load().rules_edition
    existing = profile.certificates.all() if profile else None
    previous = profile.values() if profile else None
    if request.method != "POST":
        initial = initial_from(previous or ProfileValues())
        form = ProfileForm(initial=initial, edition=edition, existing_certificates=existing)
        return _wizard_context(form, step=steps[0], steps=steps, token=token, profile=profile)
    form = ProfileForm(request.POST, request.FILES, edition=edition, existing_certificates=existing)
    step = request.POST.get("step", steps[0])
    index = steps.index(step) if step in steps else 0
    step = steps[index]
    shown: dict[str, Any] = {"steps": steps, "token": token, "profile": profile}
    if request.POST.get("go") == "previous":
        return _wizard_context(form, step=steps[max(index - 1, 0)], **shown)
    outcome = form.check_step(step, edition=edition, previous=previous)
    if outcome is not None and steps[index + 1 :] == (REVIEW,):
        outcome = form.check_step(REVIEW, edition=edition, previous=previous)
    if outcome is None:
        first = form.first_step_with_errors()
        return _wizard_context(form, step=first if first in steps else step, **shown)
    if step != REVIEW:
        return _wizard_context(form, step=steps[index + 1], outcome=outcome, **shown)
    try:
        result = _wizard_save(request, form, token=token, profile=profile)
    except services.ProfileRefused as refused:
        refused.add_to_form(form)
        first = form.first_step_with_errors()
        return _wizard_context(form, step=first if first in steps else steps[0], **shown)
    _notify_saved(
        request,
        result,
        texts.gettext("Profile created") if profile is None else texts.gettext("Profile saved"),
    )
    return redirect_to_blade(request, reverse("profiles:detail", args=[result.profile.pk]))


def _wizard_save(
    request: AuthenticatedHttpRequest,
    form: ProfileForm,
    *,
    token: EnrollmentProgramToken,
    profile: EnrollmentProfile | None,
) -> services.SaveResult:
    if profile is None:
        return services.profile_create(
            actor=request.user, token=token, values=form.to_values(), certificates=form.certificate_uploads()
        )
    return services.profile_update(
        actor=request.user,
        profile=profile,
        values=form.to_values(),
        add_certificates=form.certificate_uploads(),
        remove_certificate_ids=[c.pk for c in form.cleaned_data["remove_certificates"]],
    )


@require_http_methods(["GET", "POST"])
def profile_create(request: AuthenticatedHttpRequest, token_id: int) -> HttpResponse:
    """Today's Intune « Create profile »: Basics, Management Settings, Setup Assistant, Review."""
    token = token_get_for_user(user=request.user, pk=token_id)
    require_change_permission(request.user)  # after the lookup (roles.admin_required)
    steps = (*SECTIONS, REVIEW)
    shown = _wizard(request, token=token, profile=None, steps=steps)
    if isinstance(shown, HttpResponse):
        return shown
    return render_blade(
        request, "profiles/form.html", shown, blade="profiles:create", extra_crumbs=_crumbs(token)
    )


@require_http_methods(["GET", "POST"])
def profile_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """« Modifier » on a section of the profile's Properties: that section, then Review + save."""
    profile = profile_get_for_user(user=request.user, pk=pk)
    require_change_permission(request.user)  # after the lookup (roles.admin_required)
    section = request.POST.get("section") or request.GET.get("section", "")
    steps = (section if section in SECTIONS else BASICS, REVIEW)
    shown = _wizard(request, token=profile.token, profile=profile, steps=steps)
    if isinstance(shown, HttpResponse):
        return shown
    return render_blade(
        request,
        "profiles/form.html",
        shown,
        blade="profiles:edit",
        extra_crumbs=_crumbs(profile.token, profile),
    )


def _notify_saved(request: AuthenticatedHttpRequest, result: services.SaveResult, title: Text) -> None:
    notification_send(
        user=request.user,
        title=title,
        body=texts.join(texts.gettext("%(name)s was saved.", name=result.profile.name), *result.notices),
        level=Notification.Level.WARNING if result.notices else Notification.Level.SUCCESS,
        link=reverse("profiles:detail", args=[result.profile.pk]),
    )


@require_GET
def profile_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    profile = profile_get_for_user(user=request.user, pk=pk)
    values = profile.values()
    # The same summary as the wizard's Review, one « Edit » per section (Intune's Properties).
    summary = ProfileForm(initial=initial_from(values), edition=ProfileSettings.load().rules_edition)
    context = {
        "profile": profile,
        "token": profile.token,
        "assigned_count": services.profile_assigned_device_count(profile),
        "sections": summary.review_sections(values),
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
                title=texts.gettext("Profile deleted"),
                body=texts.gettext("%(name)s was deleted.", name=profile.name),
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
            title=texts.gettext("Default profile set"),
            body=texts.gettext(
                "%(profile)s is now the default profile of %(token)s.",
                profile=form.cleaned_data["profile"].name,
                token=token.token_name,
            ),
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
