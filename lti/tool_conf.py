"""pylti1p3's tool configuration read from the registered platforms (model `Platform`)."""

from __future__ import annotations

from typing import Any

from pylti1p3.deployment import Deployment
from pylti1p3.exception import LtiException
from pylti1p3.registration import Registration
from pylti1p3.request import Request
from pylti1p3.tool_config import ToolConfAbstract

from lti.models import Platform


def registration_of(platform: Platform) -> Registration:
    """What pylti1p3 needs to check the platform's tokens and to sign the portal's own."""
    registration = (
        Registration()
        .set_issuer(platform.issuer)
        .set_client_id(platform.client_id)
        .set_auth_login_url(platform.auth_login_url)
        .set_auth_token_url(platform.auth_token_url)
        .set_key_set_url(platform.keyset_url)
        .set_tool_private_key(platform.private_key_pem)
        .set_tool_public_key(platform.public_key_pem)
    )
    if platform.auth_audience:
        registration.set_auth_audience(platform.auth_audience)
    return registration


class PlatformToolConf(ToolConfAbstract[Request]):
    """Every issuer may have several client ids (one per registration), so lookups go by both."""

    def __init__(self) -> None:
        self.platform: Platform | None = None

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    def _platform(self, iss: str, client_id: str | None) -> Platform:
        platforms = Platform.objects.select_related("institution").filter(issuer=iss)
        if client_id:
            platforms = platforms.filter(client_id=client_id)
        found = list(platforms[:2])
        if len(found) != 1:
            # A known issuer with another client id: the id_token's audience is some other tool.
            if client_id and Platform.objects.filter(issuer=iss).exists():
                raise LtiException("wrong_audience")
            # Unknown issuer, or a login that names no client id where the issuer has several registrations.
            raise LtiException("unknown_platform")
        self.platform = found[0]
        return found[0]

    def find_registration_by_issuer(self, iss: str, *args: Any, **kwargs: Any) -> Registration:
        return registration_of(self._platform(iss, None))

    def find_registration_by_params(self, iss: str, client_id: str, *args: Any, **kwargs: Any) -> Registration:
        return registration_of(self._platform(iss, client_id))

    def find_deployment(self, iss: str, deployment_id: str) -> Deployment | None:
        return self.find_deployment_by_params(iss, deployment_id, "")

    def find_deployment_by_params(
        self, iss: str, deployment_id: str, client_id: str, *args: Any, **kwargs: Any
    ) -> Deployment | None:
        platform = self._platform(iss, client_id or None)
        if deployment_id not in platform.deployment_ids:
            return None
        return Deployment().set_deployment_id(deployment_id)
