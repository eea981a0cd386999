"""Trainer mode: guided tour, demo clock, fault drills (and the scenario presets)."""
