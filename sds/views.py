from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from asm_portal.blades import redirect_to_blade, render_blade, render_fragment
from asm_portal.http import AuthenticatedHttpRequest
from asm_portal.roles import admin_required
from sds import formats, samples, services
from sds.forms import RosterQuotaUploadHandler, RosterUploadForm, SyncProfileForm
from sds.models import (
    AppleRosterSync,
    Enrollment,
    Membership,
    Person,
    RosterUpload,
    School,
    SchoolClass,
    SyncProfile,
)
from sds.navigation import SDS_MENU
from sds.sharing import token_sds_shared

PAGE_SIZE = 50
REPORT_PAGE_SIZE = 100


def _blade(
    request: AuthenticatedHttpRequest, template: str, context: dict[str, Any], *, blade: str
) -> HttpResponse:
    return render_blade(request, template, {"sds_menu": SDS_MENU, **context}, blade=blade)


def _page(request: AuthenticatedHttpRequest, queryset: QuerySet[Any], size: int = PAGE_SIZE) -> Page[Any]:
    return Paginator(queryset, size).get_page(request.GET.get("page"))


@require_GET
def overview(request: AuthenticatedHttpRequest) -> HttpResponse:
    active = {"is_active": True}
    people = Person.objects.filter(**active)
    context = {
        "profile_count": SyncProfile.objects.count(),
        "school_count": School.objects.filter(**active).count(),
        "class_count": SchoolClass.objects.filter(**active).count(),
        "student_count": people.filter(role="student").count(),
        "staff_count": people.exclude(role__in=formats.NOT_STAFF).count(),
        "uploads": RosterUpload.objects.select_related("profile")[:5],
    }
    return _blade(request, "sds/overview.html", context, blade="sds:overview")


@require_GET
def profile_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    profiles = list(SyncProfile.objects.all())
    latest: dict[int, RosterUpload] = {}
    for upload in RosterUpload.objects.filter(profile__in=profiles).order_by(
        "profile_id", "-created_at", "-id"
    ):
        latest.setdefault(upload.profile_id, upload)
    people = dict(
        Person.objects.filter(is_active=True)
        .values("profile_id")
        .annotate(count=Count("id"))
        .values_list("profile_id", "count")
    )
    rows = [(profile, latest.get(profile.pk), people.get(profile.pk, 0)) for profile in profiles]
    return _blade(request, "sds/profile_list.html", {"rows": rows}, blade="sds:profile_list")


@require_http_methods(["GET", "POST"])
@admin_required
def profile_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = SyncProfileForm(request.POST or None, initial={"roster_format": SyncProfile.Format.V1})
    if request.method == "POST" and form.is_valid():
        profile = services.sync_profile_create(
            actor=request.user,
            name=form.cleaned_data["name"],
            roster_format=form.cleaned_data["roster_format"],
            domain_suffix=form.cleaned_data["domain_suffix"],
        )
        return redirect_to_blade(request, reverse("sds:profile_detail", args=[profile.pk]))
    if request.htmx:
        return render_fragment(request, "sds/profile_form.html#pane", {"form": form})
    return _blade(request, "sds/profile_form.html", {"form": form}, blade="sds:profile_create")


def _get_profile_for_user(request: AuthenticatedHttpRequest, pk: int) -> SyncProfile:
    # One tenant: every signed-in user sees every profile; changes are checked by role.
    return get_object_or_404(SyncProfile, pk=pk)


@require_GET
def profile_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    profile = _get_profile_for_user(request, pk)
    context = {
        "profile": profile,
        "page": _page(request, profile.uploads.all()),
        "spec": profile.spec,
    }
    if request.htmx and request.GET.get("fragment") == "grid":
        return render_fragment(request, "sds/profile_detail.html#grid", context)
    return _blade(request, "sds/profile_detail.html", context, blade="sds:profile_detail")


# Multipart framing around the files: the form fields, boundaries and part headers.
_MULTIPART_OVERHEAD = 64 * 1024


@csrf_exempt
@require_http_methods(["GET", "POST"])
@admin_required
def upload_create(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    # The quota handler must be in place before anything reads the body, CSRF included
    # (Django's "modifying upload handlers on the fly"), hence csrf_protect further in.
    quota = RosterQuotaUploadHandler(request, limit=settings.ASM_MAX_CSV_UPLOAD_BYTES + _MULTIPART_OVERHEAD)
    handlers = request.upload_handlers
    assert isinstance(handlers, list), "the body was read before the quota handler was added"
    handlers.insert(0, quota)
    return _upload_create(request, pk, quota)


@csrf_protect
def _upload_create(
    request: AuthenticatedHttpRequest, pk: int, quota: RosterQuotaUploadHandler
) -> HttpResponse:
    profile = _get_profile_for_user(request, pk)
    form = RosterUploadForm()
    error = ""
    if request.method == "POST":
        form = RosterUploadForm(request.POST, request.FILES)
        try:
            if quota.exceeded:
                raise services.roster_too_large()
            if form.is_valid():
                files = services.roster_files_read(uploads=form.cleaned_data["roster"])
                upload = services.roster_upload_create(
                    actor=request.user, profile=profile, files=files, language=request.LANGUAGE_CODE
                )
                return redirect_to_blade(request, reverse("sds:upload_detail", args=[upload.pk]))
        except services.RosterUploadError as exc:
            error = str(exc)
    context = {
        "profile": profile,
        "spec": profile.spec,
        "form": form,
        "error": error,
        "limit": settings.ASM_MAX_CSV_UPLOAD_BYTES,
    }
    if request.htmx:
        return render_fragment(request, "sds/upload_form.html#pane", context)
    return _blade(request, "sds/upload_form.html", context, blade="sds:upload_create")


def _get_upload_for_user(request: AuthenticatedHttpRequest, pk: int) -> RosterUpload:
    return get_object_or_404(RosterUpload.objects.select_related("profile"), pk=pk)


def _upload_context(request: AuthenticatedHttpRequest, upload: RosterUpload) -> dict[str, Any]:
    issues = upload.issues.all()
    severity = request.GET.get("severity", "")
    if severity in ("error", "warning"):
        issues = issues.filter(severity=severity)
    else:
        severity = ""
    return {
        "upload": upload,
        "severity": severity,
        "page": _page(request, issues, REPORT_PAGE_SIZE),
        "stored_limit": services.MAX_STORED_ISSUES,
    }


@require_GET
def upload_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    context = _upload_context(request, _get_upload_for_user(request, pk))
    if request.htmx and request.GET.get("fragment") == "report":
        return render_fragment(request, "sds/upload_detail.html#report", context)
    return _blade(request, "sds/upload_detail.html", context, blade="sds:upload_detail")


@require_GET
def upload_status(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Polled every 2 s while the upload is pending; the answer without a trigger stops it."""
    upload = _get_upload_for_user(request, pk)
    context = {**_upload_context(request, upload), "oob": not upload.is_pending}
    return render_fragment(request, "sds/upload_detail.html#status", context)


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
    """Search (any of the spec's fields, case-insensitive), status and profile filters, a page."""
    query = request.GET.get("q", "").strip()
    if query:
        condition = Q()
        for name in spec.search_fields:
            condition |= Q(**{f"{name}__icontains": query})
        queryset = queryset.filter(condition)
    status = request.GET.get("status", "")
    if status in ("active", "inactive"):
        queryset = queryset.filter(is_active=status == "active")
    else:
        status = ""
    profile = request.GET.get("profile", "")
    if profile.isdigit():
        queryset = queryset.filter(profile_id=int(profile))
    else:
        profile = ""
    page = _page(request, queryset)
    context = {
        "list_title": spec.title,
        "list_url": reverse(spec.blade),
        "rows_template": spec.rows_template,
        "search_placeholder": spec.search_placeholder,
        "role_filter": spec.role_filter,
        "query": query,
        "status": status,
        "profile": profile,
        "profiles": SyncProfile.objects.all(),
        "page": page,
        "rows": rows(page),
        **extra,
    }
    if request.htmx and request.GET.get("fragment") == "grid":
        return render_fragment(request, "sds/roster_list.html#grid", context)
    return _blade(request, "sds/roster_list.html", context, blade=spec.blade)


def _school_of(request: AuthenticatedHttpRequest) -> School | None:
    """The school a list is narrowed to (?school=), if any."""
    school = request.GET.get("school", "")
    return School.objects.filter(pk=int(school)).first() if school.isdigit() else None


@require_GET
def school_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    def rows(page: Page[Any]) -> list[Any]:
        # Counts for the page's schools only: two grouped queries, whatever the roster's size.
        ids = [school.pk for school in page]
        people = {
            row["school_id"]: row
            for row in Membership.objects.filter(school_id__in=ids, is_active=True)
            .values("school_id")
            .annotate(
                students=Count("id", filter=Q(role="student")), staff=Count("id", filter=~Q(role="student"))
            )
        }
        classes = dict(
            SchoolClass.objects.filter(school_id__in=ids, is_active=True)
            .values("school_id")
            .annotate(count=Count("id"))
            .values_list("school_id", "count")
        )
        return [(school, people.get(school.pk, {}), classes.get(school.pk, 0)) for school in page]

    return _roster_list(request, SCHOOL_LIST, School.objects.select_related("profile"), rows)


def _get_school_for_user(request: AuthenticatedHttpRequest, pk: int) -> School:
    return get_object_or_404(School.objects.select_related("profile", "last_upload"), pk=pk)


@require_GET
def school_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    school = _get_school_for_user(request, pk)
    memberships = school.memberships.filter(is_active=True)
    people_url, classes_url = reverse("sds:person_list"), reverse("sds:class_list")
    context = {
        "school": school,
        "tiles": [
            (
                _("Students"),
                f"{people_url}?school={school.pk}&role=student",
                memberships.filter(role="student").count(),
            ),
            (
                _("Teachers and staff"),
                f"{people_url}?school={school.pk}&role=staff",
                memberships.exclude(role="student").count(),
            ),
            (
                _("Classes"),
                f"{classes_url}?school={school.pk}",
                school.classes.filter(is_active=True).count(),
            ),
        ],
        "parent": School.objects.filter(profile=school.profile, sis_id=school.parent_sis_id).first()
        if school.parent_sis_id
        else None,
    }
    return _blade(request, "sds/school_detail.html", context, blade="sds:school_detail")


def _class_counts(ids: list[int]) -> dict[int, dict[str, int]]:
    return {
        row["school_class_id"]: row
        for row in Enrollment.objects.filter(school_class_id__in=ids, is_active=True)
        .values("school_class_id")
        .annotate(
            students=Count("id", filter=Q(role="student")), teachers=Count("id", filter=~Q(role="student"))
        )
    }


@require_GET
def class_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    classes = SchoolClass.objects.select_related("school", "profile")
    school = _school_of(request)
    if school is not None:
        classes = classes.filter(school=school)

    def rows(page: Page[Any]) -> list[Any]:
        counts = _class_counts([school_class.pk for school_class in page])
        return [(school_class, counts.get(school_class.pk, {})) for school_class in page]

    return _roster_list(request, CLASS_LIST, classes, rows, school=school)


def _get_class_for_user(request: AuthenticatedHttpRequest, pk: int) -> SchoolClass:
    return get_object_or_404(SchoolClass.objects.select_related("school", "profile", "last_upload"), pk=pk)


@require_GET
def class_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    school_class = _get_class_for_user(request, pk)
    enrollments = (
        school_class.enrollments.filter(is_active=True)
        .select_related("person")
        .order_by("person__family_name", "person__given_name", "person_id")
    )
    context = {
        "school_class": school_class,
        "teachers": [e for e in enrollments if e.is_teacher],
        "students": [e for e in enrollments if not e.is_teacher],
    }
    return _blade(request, "sds/class_detail.html", context, blade="sds:class_detail")


@require_GET
def person_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    people = Person.objects.select_related("profile").prefetch_related(
        Prefetch(
            "memberships",
            queryset=Membership.objects.filter(is_active=True).select_related("school"),
            to_attr="active_memberships",
        )
    )
    role = request.GET.get("role", "")
    if role == "staff":
        people = people.exclude(role__in=formats.NOT_STAFF)
    elif role == "student":
        people = people.filter(role="student")
    else:
        role = ""
    school = _school_of(request)
    if school is not None:
        people = people.filter(
            pk__in=Membership.objects.filter(school=school, is_active=True).values("person_id")
        )
    return _roster_list(request, PERSON_LIST, people, list, role=role, school=school)


def _get_person_for_user(request: AuthenticatedHttpRequest, pk: int) -> Person:
    return get_object_or_404(Person.objects.select_related("profile", "last_upload"), pk=pk)


@require_GET
def person_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    person = _get_person_for_user(request, pk)
    context = {
        "person": person,
        "memberships": person.memberships.select_related("school").order_by("-is_active", "school__name"),
        "enrollments": person.enrollments.select_related("school_class__school").order_by(
            "-is_active", "school_class__title"
        ),
    }
    return _blade(request, "sds/person_detail.html", context, blade="sds:person_detail")


@require_GET
def samples_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    context = {"sample_sets": samples.SAMPLE_SETS, "licence": samples.licence_text()}
    return _blade(request, "sds/samples.html", context, blade="sds:samples")


@require_GET
def sample_download(request: AuthenticatedHttpRequest, name: str) -> HttpResponse:
    sample = next((s for s in samples.SAMPLE_SETS if s.slug == name), None)
    if sample is None:
        raise Http404
    return HttpResponse(
        samples.sample_archive(sample),
        content_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="sds-sample-{sample.slug}.zip"'},
    )


# --- Syncs to Apple School Manager ---------------------------------------------------------------


def _apple_syncs_context(request: AuthenticatedHttpRequest) -> dict[str, Any]:
    syncs = AppleRosterSync.objects.select_related("profile")
    page = _page(request, syncs)
    return {"page": page, "polling": any(sync.is_pending for sync in page)}


def _render_apple_sync_list(request: AuthenticatedHttpRequest, *, error: str = "") -> HttpResponse:
    context = {
        **_apple_syncs_context(request),
        "token": token_sds_shared(),
        "has_roster": RosterUpload.objects.filter(state=RosterUpload.State.SUCCEEDED).exists(),
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
        syncs = services.apple_roster_sync_request(actor=request.user, language=request.LANGUAGE_CODE)
    except services.AppleRosterSyncError as error:
        return _render_apple_sync_list(request, error=str(error))
    if len(syncs) == 1:
        return redirect_to_blade(request, reverse("sds:apple_sync_detail", args=[syncs[0].pk]))
    return redirect_to_blade(request, reverse("sds:apple_sync_list"))


def _get_apple_sync_for_user(request: AuthenticatedHttpRequest, pk: int) -> AppleRosterSync:
    return get_object_or_404(AppleRosterSync.objects.select_related("profile", "upload"), pk=pk)


@require_GET
def apple_sync_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    sync = _get_apple_sync_for_user(request, pk)
    context = {
        "sync": sync,
        "error_text": services.apple_error_text(sync.error_code) if sync.error_code else "",
        "asm_people_url": f"{settings.APPLE_PUBLIC_URL}/asm/people/",
    }
    if request.htmx and request.GET.get("fragment") == "status":
        # Polled every 2 s while the sync runs; the answer without a trigger stops it.
        return render_fragment(
            request, "sds/apple_sync_detail.html#status", {**context, "oob": not sync.is_pending}
        )
    return _blade(request, "sds/apple_sync_detail.html", context, blade="sds:apple_sync_detail")
