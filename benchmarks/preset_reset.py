"""Benchmark of the trainer's scenario reset: the time to reset the tenant to each preset.

A scratch environment (never your databases): the mock Apple service served by gunicorn
(2 workers, DEBUG=False), the portal's reset run in this process as `manage.py load_preset`
runs it (the UI runs the same service, in the request or in a worker for the large preset).
Each preset is loaded --runs times, after the others (so every reset empties a full tenant),
and the median and the slowest are reported, with the steps of the last run.

    .venv/bin/python benchmarks/preset_reset.py                                   # SQLite
    .venv/bin/python benchmarks/preset_reset.py \\
        --database-url postgres://postgres@127.0.0.1:5432/asm_presets_bench       # PostgreSQL
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import act_for_default_tenant, manage, scratch_environment, serve  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database-url", default="", help="A scratch PostgreSQL database (dropped and re-created)."
    )
    parser.add_argument("--apple-port", type=int, default=8151)
    parser.add_argument("--runs", type=int, default=3, help="Resets per preset.")
    parser.add_argument("--presets", default="", help="Comma-separated keys (default: all).")
    options = parser.parse_args()

    scratch_environment(
        "presets-bench-",
        database_url=options.database_url,
        apple_port=options.apple_port,
        DEMO_PASSWORD="Bench-pass-123!",
        CELERY_TASK_ALWAYS_EAGER="True",
    )
    manage("migrate_all", "-v0")
    manage("seed_demo", "--devices", "0")
    apple = serve(options.apple_port, "apple")
    try:
        import django

        django.setup()
        # Django's models can be imported only once the scratch settings are set up.
        from django.contrib.auth.models import User

        from asm_portal import roles
        from trainer import presets
        from trainer.scenario_reset import scenario_reset

        act_for_default_tenant()
        trainer = User.objects.filter(groups__name=roles.TRAINER).order_by("pk").first()
        assert trainer is not None, "seed_demo creates a trainer"
        keys = options.presets.split(",") if options.presets else [p.key for p in presets.presets()]
        database = "PostgreSQL" if options.database_url else "SQLite"
        print(f"Scenario reset, {database}, mock Apple on gunicorn, {options.runs} runs per preset")
        for key in keys:
            times = []
            outcome = None
            for _ in range(options.runs):
                started = time.monotonic()
                outcome = scenario_reset(actor=trainer, preset_key=key)
                times.append(time.monotonic() - started)
            assert outcome is not None
            print(
                f"  {key:<18} median {statistics.median(times):6.2f} s  max {max(times):6.2f} s  "
                f"({outcome.devices:,} devices in Intune, {outcome.apple_devices:,} in ASM, "
                f"{outcome.assigned:,} assigned, {outcome.people} people)"
            )
            print(f"  {'':<18} steps of the last run: {outcome.steps}")
    finally:
        apple.terminate()
        apple.wait()


if __name__ == "__main__":
    main()
