"""Signed session cookies and bearer tokens.

Both carry only the username and the time they were signed, signed with HMAC by
itsdangerous under `session_secret`. The role is looked up in the users file on every
request, so a role change applies at once. Different salts keep a session cookie from
being accepted as a bearer token and the reverse.
"""

from itsdangerous import BadSignature, URLSafeTimedSerializer

SESSION_COOKIE = "recon_session"


class TokenSigner:
    """Issue and check session cookies and API bearer tokens."""

    def __init__(self, secret: str) -> None:
        self._session = URLSafeTimedSerializer(secret, salt="recon-reporting.session")
        self._api = URLSafeTimedSerializer(secret, salt="recon-reporting.api-token")

    def issue_session(self, username: str) -> str:
        """Return a session cookie value for `username`."""
        return self._session.dumps({"u": username})

    def read_session(self, value: str, *, max_age_s: int) -> str | None:
        """Return the username of a valid, unexpired session cookie, else None."""
        return _read(self._session, value, max_age_s=max_age_s)

    def issue_api_token(self, username: str) -> str:
        """Return a bearer token for `username`."""
        return self._api.dumps({"u": username})

    def read_api_token(self, value: str, *, max_age_s: int) -> str | None:
        """Return the username of a valid, unexpired bearer token, else None."""
        return _read(self._api, value, max_age_s=max_age_s)


def _read(
    serializer: URLSafeTimedSerializer, value: str, *, max_age_s: int
) -> str | None:
    try:
        data = serializer.loads(value, max_age=max_age_s)
    except BadSignature:
        return None
    username = data.get("u") if isinstance(data, dict) else None
    return username if isinstance(username, str) else None
