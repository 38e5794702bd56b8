"""Development bearer tokens: HS256 JWTs with the shared secret the rotation service verifies locally.

`rotation-service token EMAIL` and the web UI's development sign-in both mint them here; in production
the web UI forwards the identity provider's ID token instead and the API verifies it from a JWKS URL.
"""

from __future__ import annotations

from datetime import timedelta

import jwt

from oncall_platform.clock import system_clock

# For local runs only; the services refuse it outside development.
DEVELOPMENT_JWT_SECRET = "development-only-jwt-secret-change-me-0123456789"
MIN_SECRET_LENGTH = 32


def mint_token(secret: str, email: str, lifetime: timedelta = timedelta(hours=12)) -> str:
    """A local HS256 token for `email` (its `email` and `sub` claims), valid for `lifetime`."""
    now = system_clock()
    claims = {"email": email, "sub": email, "iat": now, "exp": now + lifetime}
    return jwt.encode(claims, secret, "HS256")
