"""Refresh tokens encrypted at rest with Fernet (AES-128-CBC + HMAC), key from the settings.

A database dump or backup alone never yields a usable Gmail grant.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken

TOKEN_KEY_VARIABLE = "SALESAGENT_TOKEN_KEY"  # noqa: S105 (a variable name)


class TokenKeyError(RuntimeError):
    """The key is missing or wrong; the message says how to fix it."""


class TokenVault:
    def __init__(self, key: str) -> None:
        try:
            self._fernet = Fernet(key.encode())
        except (ValueError, TypeError) as exc:
            raise TokenKeyError(
                f"{TOKEN_KEY_VARIABLE} is not a valid Fernet key (32 url-safe base64 bytes); "
                "generate one with `salesagent gmail new-key`"
            ) from exc

    @classmethod
    def from_key(cls, key: str) -> TokenVault:
        """The vault for the configured key (settings: SALESAGENT_TOKEN_KEY); a clear error
        when none is configured."""
        if not key:
            raise TokenKeyError(
                f"{TOKEN_KEY_VARIABLE} is not set: it encrypts Gmail refresh tokens at rest. "
                "Generate one with `salesagent gmail new-key` and keep it with your secrets."
            )
        return cls(key)

    @staticmethod
    def new_key() -> str:
        return Fernet.generate_key().decode()

    def encrypt(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken as exc:
            raise TokenKeyError(
                f"a stored token cannot be decrypted with this {TOKEN_KEY_VARIABLE}: "
                "the key changed; reconnect the mailbox or restore the old key"
            ) from exc
