"""Signed session cookies and bearer tokens.

Both carry only a random session id, signed with HMAC by itsdangerous under
`session_secret`. The id names a row of `auth_sessions`, which every request checks,
so logout and revocation end a session at once. The role is looked up in the users
file on every request, so a role change applies at once too. Different salts keep a
session cookie from being accepted as a bearer token and the reverse.
"""

from itsdangerous import BadSignature, URLSafeTimedSerializer

SESSION_COOKIE = "recon_session"


class TokenSigner:
    """Issue and check session cookies and API bearer tokens."""

    def __init__(self, secret: str) -> None:
        self._session = URLSafeTimedSerializer(secret, salt="recon-reporting.session")
        self._api = URLSafeTimedSerializer(secret, salt="recon-reporting.api-token")

    def issue_session(self, session_id: str) -> str:
        """Return a session cookie value that carries `session_id`."""
        return self._session.dumps({"s": session_id})

    def read_session(self, value: str, *, max_age_s: int) -> str | None:
        """Return the session id of a validly signed, unexpired cookie, else None."""
        return _read(self._session, value, max_age_s=max_age_s)

    def issue_api_token(self, session_id: str) -> str:
        """Return a bearer token that carries `session_id`."""
        return self._api.dumps({"s": session_id})

    def read_api_token(self, value: str, *, max_age_s: int) -> str | None:
        """Return the session id of a validly signed, unexpired token, else None."""
        return _read(self._api, value, max_age_s=max_age_s)


def _read(
    serializer: URLSafeTimedSerializer, value: str, *, max_age_s: int
) -> str | None:
    try:
        data = serializer.loads(value, max_age=max_age_s)
    except BadSignature:
        return None
    session_id = data.get("s") if isinstance(data, dict) else None
    return session_id if isinstance(session_id, str) else None
