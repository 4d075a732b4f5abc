"""API tokens in the `Authorization` header, as `Token <key>` or as `Bearer <key>`.

`Token` is DRF's word and the portal's documented form; `Bearer` is what the schema's HTTP bearer scheme tells
client generators to send (openapi-python-client's `AuthenticatedClient`, openapi-generator, …), so a client
generated from `/api/schema/` signs in as generated.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions

_KEYWORDS = (b"token", b"bearer")


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate(self, request: Any) -> Any:
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() not in _KEYWORDS:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid token header: send `Authorization: Bearer <key>`."))
        try:
            key = parts[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed(_("Invalid token header: the key has characters a key never has.")) from None
        return self.authenticate_credentials(key)
