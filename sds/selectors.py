"""What the School Data Sync blades read: counts, the roster lists and their filters, reports."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from asm_portal.ids import parse_id
from asm_portal.roles import Actor
from sds import formats
from sds.models import (
    AppleRosterSync,
    Enrollment,
    Membership,
    Person,
    RosterUpload,
    School,
    SchoolClass,
    SyncProfile,
    ValidationIssue,
)

# --- Scoped getters: what one signed-in user may open, else 404 -----------------------------
#
# As for tokens (`tokens.selectors.token_get_for_user`): the request's tenant scope sees only the
# user's tenant's School Data Sync objects, so another tenant's is a 404; roles decide changes.


def sync_profile_get_for_user(*, user: Actor, pk: int) -> SyncProfile:
    """The sync profile this signed-in user may see, else 404."""
    return get_object_or_404(SyncProfile.objects.all(), pk=pk)


def roster_upload_get_for_user(*, user: Actor, pk: int) -> RosterUpload:
    """The roster upload this signed-in user may see, with its profile, else 404."""
    return get_object_or_404(RosterUpload.objects.select_related("profile"), pk=pk)


def school_get_for_user(*, user: Actor, pk: int) -> School:
    """The school this signed-in user may see, with its profile and last upload, else 404."""
    return get_object_or_404(School.objects.select_related("profile", "last_upload"), pk=pk)


def school_class_get_for_user(*, user: Actor, pk: int) -> SchoolClass:
    """The class this signed-in user may see, with its school, profile and last upload, else 404."""
    return get_object_or_404(SchoolClass.objects.select_related("school", "profile", "last_upload"), pk=pk)


def person_get_for_user(*, user: Actor, pk: int) -> Person:
    """The person this signed-in user may see, with their profile and last upload, else 404."""
    return get_object_or_404(Person.objects.select_related("profile", "last_upload"), pk=pk)


def apple_roster_sync_get_for_user(*, user: Actor, pk: int) -> AppleRosterSync:
    """The sync to Apple this signed-in user may see, with its profile and upload, else 404."""
    return get_object_or_404(AppleRosterSync.objects.select_related("profile", "upload"), pk=pk)


# --- Overview and sync profiles ------------------------------------------------------------


def overview_counts() -> dict[str, int]:
    people = Person.objects.filter(is_active=True)
    return {
        "profile_count": SyncProfile.objects.count(),
        "school_count": School.objects.filter(is_active=True).count(),
        "class_count": SchoolClass.objects.filter(is_active=True).count(),
        "student_count": people.filter(role="student").count(),
        "staff_count": people.exclude(role__in=formats.NOT_STAFF).count(),
    }


def uploads_latest(*, limit: int) -> QuerySet[RosterUpload]:
    return RosterUpload.objects.select_related("profile")[:limit]


def profile_rows() -> list[tuple[SyncProfile, RosterUpload | None, int]]:
    """Each sync profile, its latest upload and how many active people its roster has."""
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
    return [(profile, latest.get(profile.pk), people.get(profile.pk, 0)) for profile in profiles]


def upload_issues(*, upload: RosterUpload, severity: str) -> tuple[QuerySet[ValidationIssue], str]:
    """An upload's report, of one severity ("error", "warning") or all (""); and the severity used."""
    issues = upload.issues.all()
    if severity in ("error", "warning"):
        return issues.filter(severity=severity), severity
    return issues, ""


# --- The roster lists ------------------------------------------------------------------------


@dataclass(frozen=True)
class RosterFilters:
    """A roster list's search and filters, as the query string gives them (unknown values: none)."""

    query: str = ""
    status: str = ""  # "active", "inactive" or "" (both)
    profile: str = ""  # a sync profile's id, or "" (all)

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> RosterFilters:
        status = params.get("status", "")
        profile = params.get("profile", "")
        return cls(
            query=params.get("q", "").strip(),
            status=status if status in ("active", "inactive") else "",
            profile=str(parse_id(profile) or ""),
        )


def roster_filter(
    queryset: QuerySet[Any], *, search_fields: Iterable[str], filters: RosterFilters
) -> QuerySet[Any]:
    """Search (any of the fields, case-insensitive), status and profile filters."""
    if filters.query:
        condition = Q()
        for name in search_fields:
            condition |= Q(**{f"{name}__icontains": filters.query})
        queryset = queryset.filter(condition)
    if filters.status:
        queryset = queryset.filter(is_active=filters.status == "active")
    if filters.profile:
        queryset = queryset.filter(profile_id=int(filters.profile))
    return queryset


def school_from_param(value: str) -> School | None:
    """The school a list is narrowed to (?school=), if any."""
    pk = parse_id(value)
    return School.objects.filter(pk=pk).first() if pk is not None else None


def schools_for_list() -> QuerySet[School]:
    return School.objects.select_related("profile")


def school_rows(schools: Iterable[School]) -> list[tuple[School, dict[str, int], int]]:
    """Each school with its active students and staff, and its active classes.

    Counts for these schools only: two grouped queries, whatever the roster's size."""
    schools = list(schools)
    ids = [school.pk for school in schools]
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
    return [(school, people.get(school.pk, {}), classes.get(school.pk, 0)) for school in schools]


def school_counts(school: School) -> dict[str, int]:
    memberships = school.memberships.filter(is_active=True)
    return {
        "students": memberships.filter(role="student").count(),
        "staff": memberships.exclude(role="student").count(),
        "classes": school.classes.filter(is_active=True).count(),
    }


def school_parent(school: School) -> School | None:
    if not school.parent_sis_id:
        return None
    return School.objects.filter(profile=school.profile, sis_id=school.parent_sis_id).first()


def classes_for_list(*, school: School | None) -> QuerySet[SchoolClass]:
    classes = SchoolClass.objects.select_related("school", "profile")
    return classes.filter(school=school) if school is not None else classes


def class_counts(ids: list[int]) -> dict[int, dict[str, int]]:
    """The active students and teachers of these classes, by class id."""
    return {
        row["school_class_id"]: row
        for row in Enrollment.objects.filter(school_class_id__in=ids, is_active=True)
        .values("school_class_id")
        .annotate(
            students=Count("id", filter=Q(role="student")), teachers=Count("id", filter=~Q(role="student"))
        )
    }


def class_rows(classes: Iterable[SchoolClass]) -> list[tuple[SchoolClass, dict[str, int]]]:
    classes = list(classes)
    counts = class_counts([school_class.pk for school_class in classes])
    return [(school_class, counts.get(school_class.pk, {})) for school_class in classes]


def class_members(school_class: SchoolClass) -> tuple[list[Enrollment], list[Enrollment]]:
    """A class's active teachers and students, by name."""
    enrollments = (
        school_class.enrollments.filter(is_active=True)
        .select_related("person")
        .order_by("person__family_name", "person__given_name", "person_id")
    )
    teachers = [e for e in enrollments if e.is_teacher]
    return teachers, [e for e in enrollments if not e.is_teacher]


def people_for_list(*, role: str, school: School | None) -> tuple[QuerySet[Person], str]:
    """People with their active schools, of one role ("student", "staff") or all (""); and the role used."""
    people = Person.objects.select_related("profile").prefetch_related(
        Prefetch(
            "memberships",
            queryset=Membership.objects.filter(is_active=True).select_related("school"),
            to_attr="active_memberships",
        )
    )
    if role == "staff":
        people = people.exclude(role__in=formats.NOT_STAFF)
    elif role == "student":
        people = people.filter(role="student")
    else:
        role = ""
    if school is not None:
        people = people.filter(
            pk__in=Membership.objects.filter(school=school, is_active=True).values("person_id")
        )
    return people, role


def person_memberships(person: Person) -> QuerySet[Membership]:
    return person.memberships.select_related("school").order_by("-is_active", "school__name")


def person_enrollments(person: Person) -> QuerySet[Enrollment]:
    return person.enrollments.select_related("school_class__school").order_by(
        "-is_active", "school_class__title"
    )


# --- Syncs to Apple School Manager -----------------------------------------------------------


def apple_syncs() -> QuerySet[AppleRosterSync]:
    return AppleRosterSync.objects.select_related("profile")


def roster_imported() -> bool:
    """Whether any sync profile has an accepted upload (something to send to Apple)."""
    return RosterUpload.objects.filter(state=RosterUpload.State.SUCCEEDED).exists()
