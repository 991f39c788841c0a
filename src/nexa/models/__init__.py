"""Every SQLAlchemy table of the domain, one file per object."""

from nexa.core.audit import AuditEntry
from nexa.core.events import OutboxMessage
from nexa.core.repository import RecordTeamMember
from nexa.core.sequence import Counter
from nexa.models.account import Account
from nexa.models.activity import Activity
from nexa.models.api_key import ApiKey
from nexa.models.contact import Contact
from nexa.models.custom_field import CustomField
from nexa.models.idempotency import IdempotencyKey
from nexa.models.job_run import JobRun
from nexa.models.login_attempt import LoginAttempt
from nexa.models.notification import Notification
from nexa.models.org_setting import OrgSetting
from nexa.models.role import Role
from nexa.models.team import Team
from nexa.models.user import User

__all__ = [
    "Account",
    "Activity",
    "ApiKey",
    "AuditEntry",
    "Contact",
    "Counter",
    "CustomField",
    "IdempotencyKey",
    "JobRun",
    "LoginAttempt",
    "Notification",
    "OrgSetting",
    "OutboxMessage",
    "RecordTeamMember",
    "Role",
    "Team",
    "User",
]
