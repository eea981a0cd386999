from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from asm_portal.blades import (
    redirect_to_blade,
    render_blade,
    render_blade_or_fragment,
    render_fragment,
    render_pane,
)
from asm_portal.http import AuthenticatedHttpRequest
from asm_portal.roles import admin_required, require_change_permission
from sds import apple_roster_sync, roster_import, samples, selectors, sync_profiles, uploads
from sds.apple_roster_sync_queue import AppleRosterSyncError, apple_roster_sync_request
from sds.forms import RosterQuotaUploadHandler, RosterUploadForm, SyncProfileForm
from sds.models import RosterUpload, SyncProfile
from sds.navigation import SDS_MENU
from sds.sharing import token_sds_shared

PAGE_SIZE = 50
REPORT_PAGE_SIZE = 100


def _blade(
    request: AuthenticatedHttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    blade: str,
    fragment: str = "",
) -> HttpResponse:
    """An SDS blade (with the SDS menu), or only its `fragment` partial when htmx asks for it."""
    context = {"sds_menu": SDS_MENU, **context}
    if fragment:
        return render_blade_or_fragment(request, template, context, blade=blade, fragment=fragment)
    return render_blade(request, template, context, blade=blade)


def _page(request: AuthenticatedHttpRequest, queryset: QuerySet[Any], size: int = PAGE_SIZE) -> Page[Any]:
    return Paginator(queryset, size).get_page(request.GET.get("page"))


@require_GET
def overview(request: AuthenticatedHttpRequest) -> HttpResponse:
    context = {**selectors.overview_counts(), "uploads": selectors.uploads_latest(limit=5)}
    return _blade(request, "sds/overview.html", context, blade="sds:overview")


@require_GET
def profile_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    context = {"rows": selectors.profile_rows()}
    return _blade(request, "sds/profile_list.html", context, blade="sds:profile_list")


@require_http_methods(["GET", "POST"])
@admin_required
def profile_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = SyncProfileForm(request.POST or None, initial={"roster_format": SyncProfile.Format.V1})
    if request.method == "POST" and form.is_valid():
        profile = sync_profiles.sync_profile_create(
            actor=request.user,
            name=form.cleaned_data["name"],
            roster_format=form.cleaned_data["roster_format"],
            domain_suffix=form.cleaned_data["domain_suffix"],
        )
        return redirect_to_blade(request, reverse("sds:profile_detail", args=[profile.pk]))
    context = {"sds_menu": SDS_MENU, "form": form}
    return render_pane(request, "sds/profile_form.html", context, blade="sds:profile_create")


@require_GET
def profile_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    profile = selectors.sync_profile_get_for_user(user=request.user, pk=pk)
    context = {
        "profile": profile,
        "page": _page(request, profile.uploads.all()),
        "spec": profile.spec,
    }
    return _blade(request, "sds/profile_detail.html", context, blade="sds:profile_detail", fragment="grid")


# Multipart framing around the files: the form fields, boundaries and part headers.
_MULTIPART_OVERHEAD = 64 * 1024


@csrf_exempt
@require_http_methods(["GET", "POST"])
def upload_create(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    profile = selectors.sync_profile_get_for_user(user=request.user, pk=pk)
    require_change_permission(request.user)  # after the lookup (roles.admin_required)
    # The quota handler must be in place before anything reads the body, CSRF included
    # (Django's "modifying upload handlers on the fly"), hence csrf_protect further in.
    quota = RosterQuotaUploadHandler(request, limit=settings.ASM_MAX_CSV_UPLOAD_BYTES + _MULTIPART_OVERHEAD)
    handlers = request.upload_handlers
    assert isinstance(handlers, list), "the body was read before the quota handler was added"
    handlers.insert(0, quota)
    return _upload_create(request, profile, quota)


@csrf_protect
def _upload_create(
    request: AuthenticatedHttpRequest, profile: SyncProfile, quota: RosterQuotaUploadHandler
) -> HttpResponse:
    form = RosterUploadForm()
    error = ""
    if request.method == "POST":
        form = RosterUploadForm(request.POST, request.FILES)
        try:
            if quota.exceeded:
                raise uploads.roster_too_large()
            if form.is_valid():
                files = uploads.roster_files_read(uploads=form.cleaned_data["roster"])
                upload = uploads.roster_upload_create(
                    actor=request.user, profile=profile, files=files, language=request.LANGUAGE_CODE
                )
                return redirect_to_blade(request, reverse("sds:upload_detail", args=[upload.pk]))
        except uploads.RosterUploadError as refusal:
            error = str(refusal)
    context = {
        "sds_menu": SDS_MENU,
        "profile": profile,
        "spec": profile.spec,
        "form": form,
        "error": error,
        "limit": settings.ASM_MAX_CSV_UPLOAD_BYTES,
    }
    return render_pane(request, "sds/upload_form.html", context, blade="sds:upload_create")


def _upload_context(request: AuthenticatedHttpRequest, upload: RosterUpload) -> dict[str, Any]:
    issues, severity = selectors.upload_issues(upload=upload, severity=request.GET.get("severity", ""))
    return {
        "upload": upload,
        "severity": severity,
        "page": _page(request, issues, REPORT_PAGE_SIZE),
        "stored_limit": roster_import.MAX_STORED_ISSUES,
    }


@require_GET
def upload_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    context = _upload_context(request, selectors.roster_upload_get_for_user(user=request.user, pk=pk))
    return _blade(request, "sds/upload_detail.html", context, blade="sds:upload_detail", fragment="report")


@require_GET
def upload_status(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Polled every 2 s while the upload is pending; the answer without a trigger stops it."""
    upload = selectors.roster_upload_get_for_user(user=request.user, pk=pk)
    context = {**_upload_context(request, upload), "oob": not upload.is_pending}
    return render_fragment(request, "sds/upload_detail.html#status", context)


# --- The roster: schools, classes, people ---------------------------------------------------


@dataclass(frozen=True)
class _RosterList:
    """What makes one roster list: its blade, its rows and what the search box looks at."""

    blade: str
    title: str | Promise
    rows_template: str
    search_fields: tuple[str, ...]
    search_placeholder: str | Promise
    role_filter: bool = False


SCHOOL_LIST = _RosterList(
    "sds:school_list",
    gettext_lazy("Schools"),
    "sds/_school_rows.html",
    ("name", "sis_id"),
    gettext_lazy("Search by name or SIS ID"),
)
CLASS_LIST = _RosterList(
    "sds:class_list",
    gettext_lazy("Classes"),
    "sds/_class_rows.html",
    ("title", "sis_id", "code"),
    gettext_lazy("Search by title, code or SIS ID"),
)
PERSON_LIST = _RosterList(
    "sds:person_list",
    gettext_lazy("People"),
    "sds/_person_rows.html",
    ("given_name", "family_name", "username", "sis_id"),
    gettext_lazy("Search by name, username or SIS ID"),
    role_filter=True,
)


def _roster_list(
    request: AuthenticatedHttpRequest,
    spec: _RosterList,
    queryset: QuerySet[Any],
    rows: Callable[[Page[Any]], list[Any]],
    **extra: Any,
) -> HttpResponse:
    filters = selectors.RosterFilters.from_params(request.GET)
    page = _page(
        request, selectors.roster_filter(queryset, search_fields=spec.search_fields, filters=filters)
    )
    context = {
        "list_title": spec.title,
        "list_url": reverse(spec.blade),
        "rows_template": spec.rows_template,
        "search_placeholder": spec.search_placeholder,
        "role_filter": spec.role_filter,
        "query": filters.query,
        "status": filters.status,
        "profile": filters.profile,
        "profiles": SyncProfile.objects.all(),
        "page": page,
        "rows": rows(page),
        **extra,
    }
    return _blade(request, "sds/roster_list.html", context, blade=spec.blade, fragment="grid")


@require_GET
def school_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _roster_list(request, SCHOOL_LIST, selectors.schools_for_list(), selectors.school_rows)


@require_GET
def school_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    school = selectors.school_get_for_user(user=request.user, pk=pk)
    counts = selectors.school_counts(school)
    people_url, classes_url = reverse("sds:person_list"), reverse("sds:class_list")
    context = {
        "school": school,
        "tiles": [
            (_("Students"), f"{people_url}?school={school.pk}&role=student", counts["students"]),
            (_("Teachers and staff"), f"{people_url}?school={school.pk}&role=staff", counts["staff"]),
            (_("Classes"), f"{classes_url}?school={school.pk}", counts["classes"]),
        ],
        "parent": selectors.school_parent(school),
    }
    return _blade(request, "sds/school_detail.html", context, blade="sds:school_detail")


@require_GET
def class_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    school = selectors.school_from_param(request.GET.get("school", ""))
    classes = selectors.classes_for_list(school=school)
    return _roster_list(request, CLASS_LIST, classes, selectors.class_rows, school=school)


@require_GET
def class_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    school_class = selectors.school_class_get_for_user(user=request.user, pk=pk)
    teachers, students = selectors.class_members(school_class)
    context = {"school_class": school_class, "teachers": teachers, "students": students}
    return _blade(request, "sds/class_detail.html", context, blade="sds:class_detail")


@require_GET
def person_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    school = selectors.school_from_param(request.GET.get("school", ""))
    people, role = selectors.people_for_list(role=request.GET.get("role", ""), school=school)
    return _roster_list(request, PERSON_LIST, people, list, role=role, school=school)


@require_GET
def person_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    person = selectors.person_get_for_user(user=request.user, pk=pk)
    context = {
        "person": person,
        "memberships": selectors.person_memberships(person),
        "enrollments": selectors.person_enrollments(person),
    }
    return _blade(request, "sds/person_detail.html", context, blade="sds:person_detail")


# --- Samples ---------------------------------------------------------------------------------


@require_GET
def samples_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    context = {"sample_sets": samples.SAMPLE_SETS, "licence": samples.licence_text()}
    return _blade(request, "sds/samples.html", context, blade="sds:samples")


@require_GET
def sample_download(request: AuthenticatedHttpRequest, name: str) -> HttpResponse:
    sample = next((s for s in samples.SAMPLE_SETS if s.slug == name), None)
    if sample is None:
        raise Http404
    disposition = content_disposition_header(as_attachment=True, filename=f"sds-sample-{sample.slug}.zip")
    return HttpResponse(
        samples.sample_archive(sample),
        content_type="application/zip",
        headers={"Content-Disposition": disposition},
    )


# --- Syncs to Apple School Manager ---------------------------------------------------------------


def _apple_syncs_context(request: AuthenticatedHttpRequest) -> dict[str, Any]:
    page = _page(request, selectors.apple_syncs())
    return {"page": page, "polling": any(sync.is_pending for sync in page)}


def _render_apple_sync_list(request: AuthenticatedHttpRequest, *, error: str = "") -> HttpResponse:
    context = {
        **_apple_syncs_context(request),
        "token": token_sds_shared(),
        "has_roster": selectors.roster_imported(),
        "asm_people_url": f"{settings.APPLE_PUBLIC_URL}/asm/people/",
        "error": error,
    }
    return _blade(request, "sds/apple_sync_list.html", context, blade="sds:apple_sync_list")


@require_GET
def apple_sync_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Outbound › Apple School Manager: the shared token, the syncs, and the command to sync now."""
    if request.htmx and request.GET.get("fragment") == "syncs":
        return render_fragment(request, "sds/apple_sync_list.html#syncs", _apple_syncs_context(request))
    return _render_apple_sync_list(request)


@require_POST
@admin_required
def apple_sync_request(request: AuthenticatedHttpRequest) -> HttpResponse:
    try:
        syncs = apple_roster_sync_request(actor=request.user, language=request.LANGUAGE_CODE)
    except AppleRosterSyncError as refusal:
        return _render_apple_sync_list(request, error=str(refusal))
    if len(syncs) == 1:
        return redirect_to_blade(request, reverse("sds:apple_sync_detail", args=[syncs[0].pk]))
    return redirect_to_blade(request, reverse("sds:apple_sync_list"))


@require_GET
def apple_sync_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    sync = selectors.apple_roster_sync_get_for_user(user=request.user, pk=pk)
    context = {
        "sync": sync,
        "error_text": apple_roster_sync.apple_error_text(sync.error_code) if sync.error_code else "",
        "asm_people_url": f"{settings.APPLE_PUBLIC_URL}/asm/people/",
    }
    if request.htmx and request.GET.get("fragment") == "status":
        # Polled every 2 s while the sync runs; the answer without a trigger stops it.
        return render_fragment(
            request, "sds/apple_sync_detail.html#status", {**context, "oob": not sync.is_pending}
        )
    return _blade(request, "sds/apple_sync_detail.html", context, blade="sds:apple_sync_detail")
