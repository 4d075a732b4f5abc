"""Governance models, one module per topic; Django finds them through this package."""

from governance.models.audits import *  # noqa: F403
from governance.models.health import *  # noqa: F403
from governance.models.registry import *  # noqa: F403
from governance.models.sponsorship import *  # noqa: F403
