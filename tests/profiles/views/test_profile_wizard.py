"""The profile wizard, step by step as a browser posts it: each step's page holds every setting
(the others in hidden fields), Next checks one step with the rules, Previous goes back unchecked,
Review shows what will be saved, and « Edit » on a section of Properties walks that section."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from profiles.models import EnrollmentProfile
from tests.conftest import HTMX
from tests.profiles.conftest import profile_create


class _FormReader(HTMLParser):
    """What the page's form would post: hidden and text inputs, checked radios and boxes,
    textareas and selected options (the submit button is added by `submit`)."""

    def __init__(self) -> None:
        super().__init__()
        self.data: list[tuple[str, str]] = []
        self._textarea: str | None = None
        self._select: str | None = None
        self._select_first: str | None = None
        self._selected = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("radio", "checkbox") and "checked" not in a:
                return
            if kind not in ("submit", "file"):
                self.data.append((name, a.get("value", "")))
        elif tag == "textarea" and name:
            self._textarea = name
            self.data.append((name, ""))
        elif tag == "select" and name:
            self._select, self._select_first, self._selected = name, None, False
        elif tag == "option" and self._select:
            if self._select_first is None:
                self._select_first = a.get("value", "")
            if "selected" in a:
                self.data.append((self._select, a.get("value", "")))
                self._selected = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self._select:
            if not self._selected:
                self.data.append((self._select, self._select_first or ""))
            self._select = None
        if tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            name, value = self.data[-1]
            self.data[-1] = (name, value + data)


def _page_data(html: str) -> dict[str, Any]:
    reader = _FormReader()
    reader.feed(html)
    posted: dict[str, Any] = {}
    for name, value in reader.data:
        if name == "csrfmiddlewaretoken":
            continue
        posted.setdefault(name, []).append(value)
    return {name: values if len(values) > 1 else values[0] for name, values in posted.items()}


def submit(client, url: str, html: str, go: str, **changes: Any) -> Any:
    """Press a footer button (`go`) on the page `html`, with some settings changed."""
    return client.post(url, {**_page_data(html), **changes, "go": go}, **HTMX)


def step_of(html: str) -> str:
    return str(_page_data(html)["step"])


class ProfileWizardTests:
    def url(self, token) -> str:
        return f"/enrollment/apple/tokens/{token.pk}/profiles/create/"

    def test_the_four_steps_create_a_shared_ipad_profile(self, admin_client, token) -> None:
        url = self.url(token)
        html = admin_client.get(url, **HTMX).content.decode()
        assert step_of(html) == "basics"
        # Next on an empty Basics: the step's own rule, and nothing further.
        page = submit(admin_client, url, html, "next").content.decode()
        assert step_of(page) == "basics" and "field-error" in page
        page = submit(admin_client, url, page, "next", name="Cart 7", description="CM2").content.decode()
        assert step_of(page) == "management"
        assert "Multi-factor authentication (MFA) doesn" in page
        # Shared iPad without Supervised: refused on this step (the article's rule).
        page = submit(
            admin_client, url, page, "next", shared_ipad="yes", supervised="no", max_cached_users="6"
        ).content.decode()
        assert step_of(page) == "management"
        assert "Shared iPad requires Enroll with User Affinity and Supervised." in page
        page = submit(admin_client, url, page, "next", supervised="yes").content.decode()
        assert step_of(page) == "setup"
        # Previous keeps what was entered, unchecked.
        back = submit(admin_client, url, page, "previous", department="").content.decode()
        assert step_of(back) == "management" and 'name="max_cached_users" value="6"' in back
        page = submit(
            admin_client, url, page, "next", department="IT", department_phone="01", screen_Siri="hide"
        ).content.decode()
        assert step_of(page) == "review"
        assert "Cart 7" in page and "Siri" in page and not EnrollmentProfile.objects.exists()
        response = submit(admin_client, url, page, "save")
        assert response.status_code == 204
        profile = EnrollmentProfile.objects.get()
        assert response["HX-Location"].find(f"/enrollment/apple/profiles/{profile.pk}/") > 0
        assert (profile.name, profile.shared_ipad, profile.max_cached_users) == ("Cart 7", True, 6)
        assert profile.hidden_screens == ["Siri"]

    def test_without_affinity_the_authentication_settings_are_void(self, admin_client, token) -> None:
        url = self.url(token)
        page = admin_client.get(url, **HTMX).content.decode()
        page = submit(admin_client, url, page, "next", name="Kiosk").content.decode()
        page = submit(admin_client, url, page, "next", user_affinity="without").content.decode()
        page = submit(
            admin_client, url, page, "next", department="IT", department_phone="01"
        ).content.decode()
        assert step_of(page) == "review"
        assert "Select where users must authenticate" not in page
        assert submit(admin_client, url, page, "save").status_code == 204
        profile = EnrollmentProfile.objects.get()
        assert profile.user_affinity == "without" and profile.authentication_method == ""

    def test_a_refusal_at_save_returns_to_its_step(self, admin_client, token) -> None:
        profile_create(token, name="Cart 7")
        url = self.url(token)
        page = admin_client.get(url, **HTMX).content.decode()
        page = submit(admin_client, url, page, "next", name="Cart 7").content.decode()
        page = submit(admin_client, url, page, "next").content.decode()
        page = submit(
            admin_client, url, page, "next", department="IT", department_phone="01"
        ).content.decode()
        page = submit(admin_client, url, page, "save").content.decode()
        assert step_of(page) == "basics" and "already has a profile with this name" in page
        assert EnrollmentProfile.objects.count() == 1

    def test_edit_one_section_from_properties(self, admin_client, token) -> None:
        profile = profile_create(token, shared_ipad=True, max_cached_users=4)
        detail = admin_client.get(f"/enrollment/apple/profiles/{profile.pk}/").content.decode()
        url = f"/enrollment/apple/profiles/{profile.pk}/properties/"
        for section in ("basics", "management", "setup"):
            assert f"{url}?section={section}" in detail
        page = admin_client.get(f"{url}?section=management", **HTMX).content.decode()
        assert step_of(page) == "management" and "Review + save" in page
        # The article: turning Supervised off turns Shared iPad off, and says so.
        page = submit(
            admin_client, url, page, "next", supervised="no", locked_enrollment="no"
        ).content.decode()
        assert step_of(page) == "review"
        assert "Shared iPad was turned off for this profile" in page
        assert submit(admin_client, url, page, "save").status_code == 204
        profile.refresh_from_db()
        assert (profile.supervised, profile.shared_ipad, profile.name) == (False, False, "Student iPads")

    def test_read_only_operator_gets_403_on_every_step(self, operator_client, token) -> None:
        url = self.url(token)
        assert operator_client.post(url, {"step": "management", "go": "next"}).status_code == 403
        assert not EnrollmentProfile.objects.exists()
