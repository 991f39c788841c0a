"""Every SQLAlchemy table of the domain, one file per object."""

from nexa.core.audit import AuditEntry
from nexa.core.events import OutboxMessage
from nexa.core.repository import RecordTeamMember
from nexa.core.sequence import Counter
from nexa.models.account import Account
from nexa.models.activity import Activity
from nexa.models.api_key import ApiKey
from nexa.models.booking import Booking, BookingPage
from nexa.models.call import Call
from nexa.models.campaign import (
    Campaign,
    CampaignDailyStat,
    CampaignMember,
    CampaignStep,
    CampaignStepRun,
    CampaignTouch,
)
from nexa.models.contact import Contact
from nexa.models.custom_field import CustomField
from nexa.models.data_import import DataImport, DataImportIssue
from nexa.models.deal import Deal, DealStageChange, ExchangeRate, Pipeline, PipelineStage
from nexa.models.email import (
    EmailAttachment,
    EmailEvent,
    EmailMessage,
    EmailReceipt,
    EmailSubscription,
    EmailSuppression,
    EmailTemplate,
    EmailThread,
    Mailbox,
    SenderIdentity,
)
from nexa.models.idempotency import IdempotencyKey
from nexa.models.job_run import JobRun
from nexa.models.lead import Lead, LeadSource, WebForm, WebFormSubmission
from nexa.models.login_attempt import LoginAttempt
from nexa.models.mass_email import MassEmail, MassEmailRecipient
from nexa.models.meeting import Meeting, MeetingAttendee
from nexa.models.ml_model import LeadScoreChange, MLModel
from nexa.models.note import Note
from nexa.models.notification import Notification
from nexa.models.org_setting import OrgSetting
from nexa.models.product import DealLineItem, Product, ProductPrice
from nexa.models.quote import Order, OrderLineItem, Quote, QuoteLineItem
from nexa.models.record_list import ListMember, RecordList
from nexa.models.role import Role
from nexa.models.saved_view import ListPreference, SavedView
from nexa.models.search_document import SearchDocument
from nexa.models.sms import SmsMessage
from nexa.models.task import Task
from nexa.models.team import Team
from nexa.models.user import User
from nexa.models.web_session import WebSession
from nexa.models.webhook import WebhookAttempt, WebhookDelivery, WebhookEndpoint

__all__ = [
    "Account",
    "Activity",
    "ApiKey",
    "AuditEntry",
    "Booking",
    "BookingPage",
    "Call",
    "Campaign",
    "CampaignDailyStat",
    "CampaignMember",
    "CampaignStep",
    "CampaignStepRun",
    "CampaignTouch",
    "Contact",
    "Counter",
    "CustomField",
    "DataImport",
    "DataImportIssue",
    "Deal",
    "DealLineItem",
    "DealStageChange",
    "EmailAttachment",
    "EmailEvent",
    "EmailMessage",
    "EmailReceipt",
    "EmailSubscription",
    "EmailSuppression",
    "EmailTemplate",
    "EmailThread",
    "ExchangeRate",
    "IdempotencyKey",
    "JobRun",
    "Lead",
    "LeadScoreChange",
    "LeadSource",
    "ListMember",
    "ListPreference",
    "LoginAttempt",
    "MLModel",
    "Mailbox",
    "MassEmail",
    "MassEmailRecipient",
    "Meeting",
    "MeetingAttendee",
    "Note",
    "Notification",
    "Order",
    "OrderLineItem",
    "OrgSetting",
    "OutboxMessage",
    "Pipeline",
    "PipelineStage",
    "Product",
    "ProductPrice",
    "Quote",
    "QuoteLineItem",
    "RecordList",
    "RecordTeamMember",
    "Role",
    "SavedView",
    "SearchDocument",
    "SenderIdentity",
    "SmsMessage",
    "Task",
    "Team",
    "User",
    "WebForm",
    "WebFormSubmission",
    "WebSession",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
]

# Columns kept as the text key of another (nexa.core.text.text_key), by table: each model
# keeps them in step on the ORM path (``@validates``); a Core insert fills them from here.
TEXT_KEYS: dict[str, tuple[tuple[str, str], ...]] = {
    "accounts": (("name", "name_key"),),
    "campaigns": (("name", "name_key"),),
    "contacts": (("email", "email_key"),),
    "leads": (("email", "email_key"),),
    "lists": (("name", "name_key"),),
    "pipelines": (("name", "name_key"),),
    "products": (("sku", "sku_key"),),
    "teams": (("name", "name_key"),),
    "users": (("email", "email_key"),),
}
