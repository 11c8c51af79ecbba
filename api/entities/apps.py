"""Application (OAuth 2 client), with its credentials only when just registered, and Token."""
from __future__ import annotations

import time

from federation.runtime import Runtime
from models import oauth


def application_entity(rt: Runtime, app: oauth.App, *, secret: bool) -> dict:
    body = {
        "id": str(app.id),
        "name": app.name,
        "website": app.website,
        "scopes": app.scopes,
        "redirect_uri": "\n".join(app.redirect_uris),
        "redirect_uris": app.redirect_uris,
        "vapid_key": rt.vapid.public_key,
    }
    if secret:
        body |= {"client_id": app.client_id, "client_secret": app.client_secret,
                 "client_secret_expires_at": 0}
    return body


def cli_application_entity(rt: Runtime, scopes: list[str]) -> dict:
    """A token made with `backchannel token create` belongs to no registered app."""
    return {"name": "backchannel", "website": None, "scopes": scopes, "redirect_uri": oauth.OOB,
            "redirect_uris": [oauth.OOB], "vapid_key": rt.vapid.public_key}


def token_entity(access_token: str | None, scopes: str) -> dict:
    return {"access_token": access_token, "token_type": "Bearer", "scope": scopes, "created_at": int(time.time())}
