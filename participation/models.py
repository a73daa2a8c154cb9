"""Imports every feature's models so the metadata is complete (migrations, create_all)."""
from participation.accounts import models as accounts_models  # noqa: F401
from participation.moderation import models as moderation_models  # noqa: F401
from participation.processes import models as processes_models  # noqa: F401
from participation.proposals import models as proposals_models  # noqa: F401
