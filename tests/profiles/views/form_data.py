"""What the profile wizard posts: every field, each Setup Assistant screen shown."""

from __future__ import annotations

SCREENS_SHOWN = {
    f"screen_{key}": "show"
    for key in (
        "Passcode",
        "Location",
        "Restore",
        "AppleID",
        "TOS",
        "Biometric",
        "Payment",
        "Zoom",
        "Siri",
        "Diagnostics",
        "DisplayTone",
        "Privacy",
        "Android",
        "iMessageAndFaceTime",
        "OnBoarding",
        "ScreenTime",
        "SIMSetup",
        "SoftwareUpdate",
        "WatchMigration",
        "Appearance",
        "DeviceToDeviceMigration",
        "RestoreCompleted",
        "UpdateCompleted",
        "Welcome",
        "TermsOfAddress",
        "Safety",
        "ActionButton",
        "Intelligence",
        "CameraButton",
        "WebContentFiltering",
        "AppStore",
        "SafetyAndHandling",
        "Multitasking",
        "OSShowcase",
    )
}


def form_data(**changes: str) -> dict[str, str]:
    """Every setting, posted from the wizard's last step (Review: every rule runs, then it saves).
    `step`/`go` changed walk one step instead (tests/profiles/views/test_profile_wizard.py)."""
    data = {
        "step": "review",
        "go": "save",
        "name": "Cart 3",
        "description": "Library cart",
        "user_affinity": "with",
        "authentication_method": "setup_assistant",
        "install_company_portal": "no",
        "single_app_mode": "no",
        "supervised": "yes",
        "locked_enrollment": "yes",
        "shared_ipad": "no",
        "temporary_session_only": "no",
        "pairing": "deny_all",
        "await_final_configuration": "yes",
        "apply_device_name_template": "no",
        "cellular_data_plan": "no",
        "department": "IT department",
        "department_phone": "+33 1 23 45 67 89",
        **SCREENS_SHOWN,
    }
    data.update(changes)
    return data
