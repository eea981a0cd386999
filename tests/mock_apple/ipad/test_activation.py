"""Activation, Apple's side: the cloud configuration of the assigned profile."""

from __future__ import annotations

import pytest

from mock_apple.ipad import activation, setup_assistant
from mock_apple.models import Device, DeviceEvent, VirtualDevice
from tests.mock_apple.conftest import APPLE_DB
from tests.mock_apple.ipad_fake import (
    ENROLL_URL,
    ipad_with_profile,
    setup_to_wifi,
)


@pytest.mark.django_db(databases=APPLE_DB)
class ActivationTests:
    def test_activation_returns_the_profile_and_marks_it_pushed(self, organization) -> None:
        virtual, server = ipad_with_profile(organization, department="Maths")
        answer = activation.activation_for(virtual.device)
        assert answer.configuration is not None
        assert answer.configuration["department"] == "Maths"
        assert answer.configuration["organization_name"] == organization.name
        device = Device.objects.get(pk=virtual.device.pk)
        assert device.profile_status == Device.ProfileStatus.PUSHED and device.profile_push_time is not None
        assert DeviceEvent.objects.filter(device=device, op_type="modified").exists()

    def test_a_server_without_profile_gives_its_last_enrollment_url(self, organization) -> None:
        virtual, server = ipad_with_profile(organization, no_profile=True)
        answer = activation.activation_for(virtual.device)
        assert (answer.configuration, answer.reason, answer.enrollment_url) == (
            None,
            "NO_PROFILE",
            ENROLL_URL,
        )

    def test_an_activated_device_keeps_its_configuration_until_erased(self, organization, engine) -> None:
        virtual, server = ipad_with_profile(organization, department="Before")
        setup_to_wifi(virtual)
        from mock_apple.models import Profile
        from mock_apple.services import assignments

        newer = assignments.profile_define(
            server=server, data={**Profile.objects.get().data, "department": "After"}
        )
        assignments.profile_assign(
            server=server, profile=newer, serials=[virtual.device.serial_number], throttling=False
        )
        setup_assistant.activate(virtual)
        assert (virtual.activation or {})["department"] == "Before"
        setup_assistant.erase(VirtualDevice.objects.get(pk=virtual.pk))
        virtual = setup_to_wifi(VirtualDevice.objects.get(pk=virtual.pk))
        assert (virtual.activation or {})["department"] == "After"
