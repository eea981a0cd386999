"""Apple's refusals in words an administrator can act on: the errors of Apple's DEP service
(shown on a token and when an upload is verified) and the problems of a server token file."""

from __future__ import annotations

from django.utils.translation import gettext_lazy, gettext_noop, ngettext

from asm_portal import texts
from asm_portal.texts import Text
from tokens import pki

# Apple's error codes, what each one means for the administrator and what to do.
APPLE_ERROR_MESSAGES = {
    "T_C_NOT_SIGNED": gettext_noop(
        "Apple refused the token because the organization has not accepted the latest Apple School "
        "Manager terms and conditions (T_C_NOT_SIGNED). An administrator must sign in to Apple School "
        "Manager and accept them; then try again."
    ),
    "ACCESS_DENIED": gettext_noop(
        "Apple denied access with this token (ACCESS_DENIED). Check in Apple School Manager that the "
        "MDM server still exists and that its token was not revoked; then download a new token."
    ),
    "token_rejected": gettext_noop(
        "Apple rejected this token (token_rejected): it was revoked or replaced by a newer download "
        "in Apple School Manager. Upload the newest token file of this MDM server."
    ),
    "signature_invalid": gettext_noop(
        "Apple could not verify the token’s signature (signature_invalid). Download the token again "
        "from Apple School Manager."
    ),
    "token_expired": gettext_noop(
        "Apple refused the token because it has expired (token_expired). Renew the token: download a "
        "new one from Apple School Manager and upload it here."
    ),
}


def apple_error_message(code: str, status: int | None = None, *, verifying: bool = False) -> str:
    """`apple_error_text` in the active language."""
    return str(apple_error_text(code, status, verifying=verifying))


def apple_error_text(code: str, status: int | None = None, *, verifying: bool = False) -> Text:
    """What an Apple error means for the administrator, and what to do about it. `code` may
    carry Apple's HTTP status in front ("503 SERVICE_UNAVAILABLE", or "500" alone: see
    `tokens.apple_retry.error_code`); `verifying` is for the token upload's check, the only
    call whose failure means the token could not be verified."""
    number, _space, rest = code.partition(" ")
    if number.isdigit():
        status, code = int(number), rest
    if (status is None and not code) or code == "UNREACHABLE":
        if verifying:
            return texts.gettext(
                "Apple’s service cannot be reached right now, so the token could not be verified. "
                "Try again in a few minutes."
            )
        return texts.gettext("Apple’s service could not be reached. Try again in a few minutes.")
    if code in APPLE_ERROR_MESSAGES:
        return texts.gettext(APPLE_ERROR_MESSAGES[code])
    answer = " ".join(part for part in (str(status) if status else "", code) if part)
    return texts.gettext("Apple answered %(answer)s. Try again later.", answer=answer)


SERVER_TOKEN_MESSAGES = {
    pki.ServerTokenProblem.NOT_PKCS7: gettext_lazy(
        "This file is not a server token. Upload the token file (.p7m) that Apple School Manager "
        "downloaded for your MDM server, for example “Server_Token_2026-01-31T10-00-00Z_smime.p7m”."
    ),
    pki.ServerTokenProblem.WRONG_RECIPIENT: gettext_lazy(
        "This token was not created with the public key downloaded from this portal. Upload the "
        "public key (.pem) of step 1 to your MDM server in Apple School Manager, download a new "
        "token and upload that one."
    ),
    pki.ServerTokenProblem.UNSUPPORTED_CIPHER: gettext_lazy(
        "This token is encrypted with an algorithm this portal does not support. Download it again "
        "from Apple School Manager."
    ),
    pki.ServerTokenProblem.CORRUPT: gettext_lazy(
        "This token file is damaged or incomplete and cannot be decrypted. Download it again from Apple "
        "School Manager."
    ),
}


def server_token_problem_message(error: pki.ServerTokenError) -> str:
    if error.problem == pki.ServerTokenProblem.MISSING_FIELDS:
        return ngettext(
            "This token is missing a required value (%(fields)s). Download it again from Apple School "
            "Manager.",
            "This token is missing required values (%(fields)s). Download it again from Apple School "
            "Manager.",
            len(error.missing),
        ) % {"fields": ", ".join(error.missing)}
    return str(SERVER_TOKEN_MESSAGES[error.problem])
