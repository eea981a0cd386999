"""Where the trainer blades sit in the shell (registered by TrainerConfig.ready)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from asm_portal import navigation, roles
from asm_portal.navigation import NavItem


def register() -> None:
    navigation.register_blades(
        {
            "trainer:home": (_("Trainer mode"), "home", "trainer"),
            "trainer_presets:list": (_("Scenario presets"), "trainer:home", "trainer"),
            "trainer_presets:reset": (_("Reset to this preset"), "trainer_presets:list", "trainer"),
            "trainer:classrooms": (_("Classroom"), "home", "classroom"),
            "trainer:classroom_add": (_("Create class"), "trainer:classrooms", "classroom"),
            "trainer:classroom": (_("Class board"), "trainer:classrooms", "classroom"),
            "trainer:classroom_end": (_("End class"), "trainer:classrooms", "classroom"),
            "trainer:trainee": (_("Trainee"), "trainer:classrooms", "classroom"),
        }
    )
    # Shown only to the Trainer role (the views enforce it on the server).
    navigation.register_nav_item(
        NavItem("trainer", _("Trainer mode"), "trainer:home", "wrench", order=100, visible=roles.is_trainer)
    )
    navigation.register_nav_item(
        NavItem(
            "classroom", _("Classroom"), "trainer:classrooms", "people", order=101, visible=roles.is_trainer
        )
    )
