"""Imports every feature's models so the metadata is complete (migrations, create_all)."""
from participation.accounts import models as accounts_models  # noqa: F401
from participation.moderation import models as moderation_models  # noqa: F401
from participation.processes import models as processes_models  # noqa: F401
from participation.jobs import models as jobs_models  # noqa: F401
from participation.comments import models as comments_models  # noqa: F401
from participation.notifications import models as notifications_models  # noqa: F401
from participation.kpi import models as kpi_models  # noqa: F401
from participation.proposals import models as proposals_models  # noqa: F401
from participation.feedback import models as feedback_models  # noqa: F401
from participation.common import pagecache as pagecache_models  # noqa: F401
