"""A toast is shown again after a language switch (issue 17): whatever a view, a task or a
command sends with `notification_send` is a stored text (asm_portal.texts), never words already
rendered in the sender's language (`_("…") % …`, a literal)."""

from __future__ import annotations

import ast
from pathlib import Path

from django.conf import settings

RENDERED = frozenset({"_", "gettext", "ngettext", "pgettext", "gettext_lazy", "ngettext_lazy"})
SKIPPED = {"tests", "mock_apple", "benchmarks", ".venv", "node_modules"}


def rendered_arguments(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if name != "notification_send":
            continue
        for keyword in node.keywords:
            if keyword.arg not in ("title", "body"):
                continue
            value = keyword.value
            if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Mod):
                value = value.left
            called = value.func if isinstance(value, ast.Call) else None
            called_name = getattr(called, "id", "") or getattr(called, "attr", "")
            translated_now = (
                called is not None
                and called_name in RENDERED
                and not (isinstance(called, ast.Attribute) and getattr(called.value, "id", "") == "texts")
            )
            if translated_now or (isinstance(value, ast.Constant) and value.value):
                found.append(f"line {node.lineno}: {keyword.arg}={ast.unparse(keyword.value)[:60]}")
    return found


def test_every_notification_is_a_stored_text() -> None:
    base = Path(settings.BASE_DIR)
    problems = []
    for path in base.rglob("*.py"):
        if SKIPPED & set(path.relative_to(base).parts):
            continue
        problems += [f"{path.relative_to(base)} {where}" for where in rendered_arguments(path.read_text())]
    assert not problems, "\n".join(problems)


def test_the_check_sees_words_rendered_by_the_sender() -> None:
    assert rendered_arguments('notification_send(user=u, title=_("Saved %(n)s") % {"n": 1})')
    assert rendered_arguments('notification_send(user=u, title="Saved")')
    assert rendered_arguments('x.notification_send(user=u, body=ngettext("a", "b", 2))')
    assert not rendered_arguments('notification_send(user=u, title=texts.gettext("Saved"), body=body)')
