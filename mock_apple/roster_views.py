"""Apple School Manager's People, Classes and Locations pages, and the account Preferences."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mock_apple import auth
from mock_apple.auth import AppleHttpRequest, account_required, people_manager_required
from mock_apple.csv_cells import csv_text
from mock_apple.models import Location, Person, RosterClass
from mock_apple.roster import imports, managed_apple_ids, passwords
from mock_apple.roster_forms import ManagedIdFormatForm
from mock_apple.views import _page, attachment

PAGE_SIZE = 50


def _roster_page(
    request: AppleHttpRequest, template: str, context: dict[str, Any], *, section: str
) -> HttpResponse:
    return _page(
        request,
        template,
        {**context, "can_manage_people": auth.can_manage_people(request.account)},
        section=section,
    )


def _people(request: AppleHttpRequest) -> tuple[QuerySet[Person], dict[str, str]]:
    people = Person.objects.filter(organization=request.account.organization)
    filters = {
        "q": request.GET.get("q", "").strip()[:100],
        "role": request.GET.get("role", ""),
        "status": request.GET.get("status", ""),
    }
    if filters["q"]:
        query = filters["q"]
        people = people.filter(
            Q(first_name__icontains=query)
            | Q(last_name__icontains=query)
            | Q(managed_apple_id__icontains=query)
            | Q(person_id__iexact=query)
        )
    if filters["role"] in Person.Role.values:
        people = people.filter(role=filters["role"])
    else:
        filters["role"] = ""
    if filters["status"] in ("active", "inactive"):
        people = people.filter(is_active=filters["status"] == "active")
    else:
        filters["status"] = ""
    return people, filters


@require_GET
@account_required
def people(request: AppleHttpRequest) -> HttpResponse:
    found, filters = _people(request)
    page = Paginator(found.prefetch_related("locations"), PAGE_SIZE).get_page(request.GET.get("page"))
    context: dict[str, Any] = {"page": page, "filters": filters, "roles": Person.Role.choices}
    if request.GET.get("fragment") == "grid":
        return render(request, "mock_apple/people.html#grid", context)
    organization = request.account.organization
    context["sheet_pending"] = passwords.sign_in_sheet_pending(organization)
    return _roster_page(request, "mock_apple/people.html", context, section="people")


def _person_for(request: AppleHttpRequest, pk: int) -> Person:
    return get_object_or_404(Person, organization=request.account.organization, pk=pk)


@require_GET
@account_required
def person(request: AppleHttpRequest, pk: int) -> HttpResponse:
    return _person_page(request, _person_for(request, pk))


def _person_page(request: AppleHttpRequest, found: Person, new_password: str = "") -> HttpResponse:
    context = {
        "person": found,
        "locations": found.locations.all(),
        "taught": found.classes_taught.select_related("location"),
        "attended": found.classes_attended.select_related("location"),
        "must_change_password": passwords.person_must_change_password(found),
        "new_password": new_password,
    }
    return _roster_page(request, "mock_apple/person.html", context, section="people")


@require_POST
@account_required
@people_manager_required
def person_password_reset(request: AppleHttpRequest, pk: int) -> HttpResponse:
    """Reset Password: the new temporary password is shown in this answer only."""
    found = _person_for(request, pk)
    password = passwords.person_password_reset(actor=request.account, person=found)
    return _person_page(request, found, new_password=password)


@require_POST
@account_required
@people_manager_required
def sign_in_sheets(request: AppleHttpRequest) -> HttpResponse:
    """The next sign-in sheets, printed (HTML) or exported (CSV); each password is shown once."""
    organization = request.account.organization
    rows = passwords.sign_in_sheet_take(actor=request.account, organization=organization)
    if not rows:
        messages.success(request, _("Every new account has been on a sign-in sheet already."))
        return redirect("asm_people")
    if request.POST.get("format") == "csv":
        # Apple's export: the account, the three names and the temporary password. The names
        # come from the roster an MDM server sent: a cell that would be a formula is neutralised
        # (the generated passwords are letters and digits, never changed by it).
        header = ["Managed Apple Account", "First Name", "Middle Name", "Last Name", "Temporary Password"]
        text = csv_text(
            [
                header,
                *(
                    [found.managed_apple_id, found.first_name, found.middle_name, found.last_name, password]
                    for found, password in rows
                ),
            ]
        )
        response = attachment(text, content_type="text/csv; charset=utf-8", filename="Sign-in sheets.csv")
        response["Cache-Control"] = "no-store"
        return response
    context = {"rows": rows, "remaining": passwords.sign_in_sheet_pending(organization)}
    response = _roster_page(request, "mock_apple/sign_in_sheets.html", context, section="people")
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@account_required
def classes(request: AppleHttpRequest) -> HttpResponse:
    found = RosterClass.objects.filter(organization=request.account.organization).select_related("location")
    query = request.GET.get("q", "").strip()[:100]
    if query:
        found = found.filter(
            Q(display_name__icontains=query) | Q(class_id__iexact=query) | Q(course_name__icontains=query)
        )
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    # Counts for the page's classes only, one grouped query each (joining both lists at once
    # would multiply their rows).
    ids = [school_class.pk for school_class in page]
    instructors = _counts(
        RosterClass.instructors.through.objects.filter(rosterclass_id__in=ids), "rosterclass_id"
    )
    students = _counts(RosterClass.students.through.objects.filter(rosterclass_id__in=ids), "rosterclass_id")
    for school_class in page:
        school_class.instructor_count = instructors.get(school_class.pk, 0)  # type: ignore[attr-defined]
        school_class.student_count = students.get(school_class.pk, 0)  # type: ignore[attr-defined]
    context = {"page": page, "filters": {"q": query}}
    if request.GET.get("fragment") == "grid":
        return render(request, "mock_apple/classes.html#grid", context)
    return _roster_page(request, "mock_apple/classes.html", context, section="classes")


@require_GET
@account_required
def roster_class(request: AppleHttpRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(
        RosterClass.objects.select_related("location"), organization=request.account.organization, pk=pk
    )
    context = {
        "school_class": found,
        "instructors": found.instructors.all(),
        "students": found.students.all(),
    }
    return _roster_page(request, "mock_apple/class.html", context, section="classes")


@require_GET
@account_required
def locations(request: AppleHttpRequest) -> HttpResponse:
    organization = request.account.organization
    imports.location_primary(organization)
    found = list(Location.objects.filter(organization=organization))
    people = _counts(
        Person.locations.through.objects.filter(location__organization=organization), "location_id"
    )
    classes_at = _counts(RosterClass.objects.filter(organization=organization), "location_id")
    for location in found:
        location.people_count = people.get(location.pk, 0)  # type: ignore[attr-defined]
        location.class_count = classes_at.get(location.pk, 0)  # type: ignore[attr-defined]
    return _roster_page(request, "mock_apple/locations.html", {"locations": found}, section="locations")


def _counts(queryset: QuerySet[Any], key: str) -> dict[int, int]:
    """How many rows of `queryset` each value of `key` has, in one grouped query."""
    return dict(queryset.order_by().values(key).annotate(count=Count("pk")).values_list(key, "count"))


@require_http_methods(["GET", "POST"])
@account_required
def preferences(request: AppleHttpRequest) -> HttpResponse:
    """Preferences › Managed Apple Accounts: the format of new (and, if chosen, existing) accounts."""
    organization = request.account.organization
    current = managed_apple_ids.roster_settings(organization)
    form = ManagedIdFormatForm(
        request.POST or None, initial={"managed_apple_id_format": current.managed_apple_id_format}
    )
    if request.method == "POST":
        auth.require_people_manager(request.account)
        if form.is_valid():
            change = managed_apple_ids.managed_apple_id_format_set(
                actor=request.account,
                organization=organization,
                value=form.cleaned_data["managed_apple_id_format"],
                apply_to_existing=form.cleaned_data["apply_to"] == ManagedIdFormatForm.ALL,
            )
            applied = form.cleaned_data["apply_to"] == ManagedIdFormatForm.ALL
            messages.success(request, _format_saved_message(change if applied else None))
            return redirect("asm_preferences")
    example = _example(form.data.get("managed_apple_id_format") if form.is_bound else None, current)
    context = {"form": form, "settings_row": current, "example": example}
    return _roster_page(request, "mock_apple/preferences.html", context, section="preferences")


def _format_saved_message(change: managed_apple_ids.FormatChange | None) -> str:
    """What saving the format did; `change` when it was applied to existing people too."""
    message = _("The Managed Apple Account format was saved. New accounts will use it.")
    if change is None:
        return message
    message += " " + ngettext(
        "%(count)d existing account was changed.", "%(count)d existing accounts were changed.", change.changed
    ) % {"count": change.changed}
    if change.kept:
        message += " " + ngettext(
            "%(count)d account kept its name: a field of the format is empty for it.",
            "%(count)d accounts kept their name: a field of the format is empty for them.",
            change.kept,
        ) % {"count": change.kept}
    return message


def _example(value: str | None, current: Any) -> str:
    """The format applied to a sample student, as Apple's preview shows it."""
    try:
        format_value = managed_apple_ids.managed_apple_id_format_check(
            value or current.managed_apple_id_format
        )
        return managed_apple_ids.managed_apple_id_candidate(
            format_value,
            {
                "first_name": "Scott",
                "middle_name": "James",
                "last_name": "Miller",
                "person_id": "100231",
                "person_number": "2031",
                "sis_username": "smiller",
                "email": "smiller@" + current.organization.domain,
            },
            current.organization.domain,
        )
    except (managed_apple_ids.ManagedIdError, ValidationError):
        return ""
