"""Governance models, one module per topic; Django finds them through this package."""

from curation.models import *  # noqa: F403
from governance.models.audits import *  # noqa: F403
from governance.models.health import *  # noqa: F403
from governance.models.registry import *  # noqa: F403
from governance.models.sponsorship import *  # noqa: F403
from toolchain.models import *  # noqa: F403
