"""Auth context: users, pwdlib (Argon2) password hashing, PyJWT HS256 access/refresh tokens.

Owns the ``users`` and ``revoked_tokens`` tables (``repository.UserStore``).

Other contexts use ``deltastream.auth.service.verify_access_token`` (the realtime gateway) and the
``Annotated`` dependencies in ``deltastream.auth.dependencies``.
"""
