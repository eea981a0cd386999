"""Apple's refusals in words: every Apple error code and every server-token problem has a
message that says what to do; unknown answers still say something useful."""

from __future__ import annotations

import pytest
from django.utils import translation

from tokens import apple_errors, pki


class AppleErrorMessageTests:
    @pytest.mark.parametrize(
        ("code", "words"),
        [
            ("T_C_NOT_SIGNED", "accept them; then try again"),
            ("ACCESS_DENIED", "its token was not revoked"),
            ("token_rejected", "revoked or replaced by a newer download"),
            ("signature_invalid", "Download the token again"),
            ("token_expired", "Renew the token"),
        ],
    )
    def test_each_known_code_says_what_to_do(self, code: str, words: str) -> None:
        message = apple_errors.apple_error_message(code, 403)
        assert words in message and f"({code})" in message

    @pytest.mark.parametrize(("code", "status"), [("", None), ("UNREACHABLE", None), ("UNREACHABLE", 503)])
    def test_an_unreachable_apple_says_try_again_later(self, code: str, status: int | None) -> None:
        message = apple_errors.apple_error_message(code, status)
        # During a sync or an assignment nothing is being verified: the upload's words are its own.
        assert message == "Apple’s service could not be reached. Try again in a few minutes."
        assert "could not be verified" in apple_errors.apple_error_message(code, status, verifying=True)

    def test_an_unknown_error_names_the_status_and_code(self) -> None:
        message = apple_errors.apple_error_message("MALFORMED_REQUEST_BODY", 400)
        assert message == "Apple answered 400 MALFORMED_REQUEST_BODY. Try again later."

    def test_an_error_remembered_with_its_status(self) -> None:
        # A job's error keeps Apple's HTTP status in front of its code (tokens.apple_retry.error_code).
        assert apple_errors.apple_error_message("503 SERVICE_UNAVAILABLE") == (
            "Apple answered 503 SERVICE_UNAVAILABLE. Try again later."
        )
        with translation.override("fr"):
            assert apple_errors.apple_error_message("503 SERVICE_UNAVAILABLE") == (
                "Apple a répondu 503 SERVICE_UNAVAILABLE. Réessayez plus tard."
            )

    def test_an_error_remembered_by_its_status_alone(self) -> None:
        # A token's last error without an Apple code is stored as the HTTP status ("500").
        assert apple_errors.apple_error_message("500") == "Apple answered 500. Try again later."


class ServerTokenProblemMessageTests:
    @pytest.mark.parametrize(
        ("problem", "words"),
        [
            (pki.ServerTokenProblem.NOT_PKCS7, "This file is not a server token."),
            (pki.ServerTokenProblem.WRONG_RECIPIENT, "not created with the public key downloaded"),
            (pki.ServerTokenProblem.UNSUPPORTED_CIPHER, "an algorithm this portal does not support"),
            (pki.ServerTokenProblem.CORRUPT, "damaged or incomplete"),
        ],
    )
    def test_each_problem_has_its_message(self, problem: pki.ServerTokenProblem, words: str) -> None:
        assert words in apple_errors.server_token_problem_message(pki.ServerTokenError(problem))

    def test_missing_fields_are_named_singular_and_plural(self) -> None:
        one = pki.ServerTokenError(pki.ServerTokenProblem.MISSING_FIELDS, missing=("consumer_key",))
        two = pki.ServerTokenError(
            pki.ServerTokenProblem.MISSING_FIELDS, missing=("consumer_key", "access_secret")
        )
        assert "missing a required value (consumer_key)" in apple_errors.server_token_problem_message(one)
        assert "missing required values (consumer_key, access_secret)" in (
            apple_errors.server_token_problem_message(two)
        )
