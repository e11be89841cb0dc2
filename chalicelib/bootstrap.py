"""Builds settings, adapters and services once per process. app.py and the CLI both use it; tests call
`build` with their own clock and settings. No other module reaches out for its own clients."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cached_property, partial
from typing import TYPE_CHECKING, Any

from chalicelib.core.clock import Clock, SystemClock
from chalicelib.metrics import MemorySink, MetricsSink
from chalicelib.settings import Settings

# The areas are imported when the services are built, not when a route module imports this one: app.py's
# import stays small (cold start), and a function that never builds services never loads them.
if TYPE_CHECKING:
    from chalicelib.adapters.awslambda import LambdaInvoker
    from chalicelib.audit.service import AuditService
    from chalicelib.billing.service import BillingService
    from chalicelib.chat.model import Attachment as ChatFile
    from chalicelib.chat.service import ChatService
    from chalicelib.core.blobs import BlobStore
    from chalicelib.core.failures import FailedEvents
    from chalicelib.core.mailer import Mailer
    from chalicelib.licensing.service import LicensingService
    from chalicelib.mail.service import MailService
    from chalicelib.notices.service import NoticeService
    from chalicelib.operations.service import OperationsService
    from chalicelib.phone.service import PhoneService
    from chalicelib.privacy.service import PrivacyService
    from chalicelib.realtime.service import RealtimeService
    from chalicelib.support.desk import SupportDesk
    from chalicelib.support.service import SupportService
    from chalicelib.training.service import TrainingService


@dataclass
class Services:
    """The process's settings, adapters and services. Licensing is built at once (every function checks
    licenses); each area's service is built on first use, so a cold function loads only the areas it touches
    (mail_inbound never imports billing, a billing job never imports mail's parsers)."""

    settings: Settings
    clock: Clock
    metrics: MetricsSink
    mailer: Mailer
    licensing: LicensingService
    blobs: BlobStore
    raw_mail: BlobStore | None = None

    @cached_property
    def inbound_raw_mail(self) -> BlobStore:
        """Where SES keeps received mail: the one given, else the receiving region's bucket or the blob store."""
        return self.raw_mail or _raw_mail(self.settings, self.blobs)

    @cached_property
    def mail(self) -> MailService:
        from chalicelib.mail.service import MailService
        from chalicelib.mail.store import MailStore

        mail = MailService(MailStore(), self.licensing, self.blobs, self.mailer, self.clock, self.settings,
                           self.metrics, reply_secrets=_reply_secrets(self.settings),
                           raw_mail=self.inbound_raw_mail)
        # new tickets go in turn to the agents chat knows are online
        mail.use_presence(lambda licensee_id: self.chat.available_agents(licensee_id))
        if self.settings.realtime_endpoint:  # on AWS new mail reaches the consoles' sockets (built on first use)
            mail.publish = lambda licensee_id, audience, event: self.realtime.publish(licensee_id, audience, event)
        # Mail to the licensor's support address opens technical-support requests (clause 3.2).
        mail.use_support_desk(self.settings.licensor_support_address,
                              lambda parsed, key: _desk(self).receive(parsed, key))
        return mail

    @cached_property
    def billing(self) -> BillingService:
        from chalicelib.billing.service import BillingService
        from chalicelib.billing.store import BillingStore

        billing = BillingService(BillingStore(), self.licensing, self.mailer, self.clock, self.settings.timezone,
                                 self.metrics, self.settings.notice_sender)
        # per_session training fees bill the sessions training records as delivered (clause 3.3); training
        # sends its notices through billing, so billing is in place before training is built.
        self.__dict__["billing"] = billing
        billing.sessions = self.training
        return billing

    @cached_property
    def chat(self) -> ChatService:
        from chalicelib.chat.service import ChatService
        from chalicelib.chat.store import ChatStore

        chat = ChatService(ChatStore(), self.clock, self.licensing, self.settings, self.metrics,
                           email=_EmailOf(self), blobs=self.blobs)
        if self.realtime.url:
            chat.publish = self.realtime.publish
        return chat

    @cached_property
    def realtime(self) -> RealtimeService:
        return _realtime(self.settings, self.clock, self.metrics)

    @property
    def tables(self) -> tuple[type, ...]:
        return tuple(model for model, _ in _models(self.settings))

    @cached_property
    def invoker(self) -> LambdaInvoker:
        """Asynchronous invocations of Lambda functions (a long run continuing itself), made on first use."""
        from chalicelib.adapters.awslambda import LambdaInvoker

        return LambdaInvoker(self.settings.region)

    @cached_property
    def failed_events(self) -> FailedEvents:
        """Events the asynchronous functions could not process: the on-failure queue on AWS, a folder locally."""
        if self.settings.failed_events == "sqs":
            from chalicelib import resources
            from chalicelib.adapters.sqs import SqsFailedEvents

            return SqsFailedEvents(resources.failed_events_queue_name(self.settings.stage), self.settings.region)
        from chalicelib.local.failures import FolderFailedEvents

        return FolderFailedEvents(self.settings.data_dir / "failed")

    @cached_property
    def operations(self) -> OperationsService:
        """Backups and health of every table in `tables`, built on first use."""
        return _operations(self.settings, self.metrics, self.blobs, self.mailer, self.inbound_raw_mail)

    @cached_property
    def phone(self) -> PhoneService:
        """Call records (issue 14), built on first use."""
        return _phone(self)

    @cached_property
    def support(self) -> SupportService:
        """Technical support (clauses 1.1.4, 3.2), built on first use."""
        return _support(self)

    @cached_property
    def audit(self) -> AuditService:
        """The evidence trail's checks and daily digest (clause 9), built on first use."""
        from chalicelib.audit.service import AuditService

        return AuditService(_digests(self.settings), self.clock, self.metrics)

    def caller(self, note: str | None = None) -> str:
        """Who runs a staff command, for the audit trail: the caller's AWS identity (STS) on AWS stages, the
        login locally; what `--actor` says is only a note beside it."""
        if self.settings.identity == "sts":
            from chalicelib.adapters import sts

            who = f"aws:{sts.caller_arn(self.settings.region)}"
        else:
            import getpass

            who = f"os:{getpass.getuser()}"
        return f"{who} ({note})" if note else who

    @cached_property
    def notices(self) -> NoticeService:
        """Notices to licensees (clause 13.1): the one entry point every area sends through."""
        from chalicelib.notices import store
        from chalicelib.notices.service import NoticeService

        return NoticeService(self.billing.notifier, self.licensing, self.clock, self.settings.timezone, self.metrics,
                             store.language)

    @cached_property
    def privacy(self) -> PrivacyService:
        """Privacy requests, retention and the export window after termination (clauses 7, 11.2), built on first
        use."""
        return _privacy(self)

    @cached_property
    def training(self) -> TrainingService:
        """Training sessions (clauses 1.1.5, 3.3), built on first use; their notices go out as billing's do."""
        return _training(self)


def build(settings: Settings | None = None, clock: Clock | None = None, metrics: MetricsSink | None = None,
          mailer: Mailer | None = None, blobs: BlobStore | None = None, raw_mail: BlobStore | None = None) -> Services:
    settings = settings or Settings.from_env()
    clock = clock or SystemClock()
    if metrics is None:
        if settings.metrics_enabled:
            from chalicelib.adapters.cloudwatch import EmfFile, EmfSink

            metrics = EmfSink(EmfFile(settings.metrics_file)) if settings.metrics_file else EmfSink()
        else:
            metrics = MemorySink()
    from chalicelib.adapters import dynamodb
    from chalicelib.core import cursors
    from chalicelib.licensing.service import LicensingService
    from chalicelib.licensing.store import LicensingStore

    dynamodb.configure(_tables(settings), settings)
    licensing = LicensingService(LicensingStore(), clock, settings.timezone,
                                 expiring_window_days=settings.expiring_window_days,
                                 cache_ttl_seconds=settings.license_cache_ttl_seconds, metrics=metrics)
    blobs = blobs or _blobs(settings)
    built = Services(settings=settings, clock=clock, metrics=metrics, mailer=mailer or _mailer(settings, clock),
                     licensing=licensing, blobs=blobs, raw_mail=raw_mail)
    # Page cursors are signed with the system's reply secret (one per stage, in Secrets Manager on AWS).
    cursors.use_secret(lambda: built.mail.secrets[0])
    # Billing follows terminations, extensions and amendments of seats and channels (clauses 4.2, 10, 11.3).
    licensing.add_listener(lambda change: built.billing.license_changed(change))
    # Extensions, amendments, staff suspensions and terminations are told to the licensee (clause 13.1).
    licensing.add_listener(lambda event: built.notices.license_changed(event))
    return built


class _EmailOf:
    """Chat's way to the email channel, which is built when a hand-over first needs it."""

    def __init__(self, built: Services) -> None:
        self._built = built

    def open_ticket_from_chat(self, licensee_id: str, conversation_id: str, contact: str, name: str,
                              transcript: str, first_line: str, locale: str,
                              files: tuple[ChatFile, ...] = ()) -> tuple[str, bool]:
        return self._built.mail.open_ticket_from_chat(licensee_id, conversation_id, contact, name, transcript,
                                                      first_line, locale, _kept(files))

    def reply_from_chat(self, licensee_id: str, ticket_id: str, conversation_id: str, number: int | str,
                        text: str, author: str, files: tuple[ChatFile, ...] = (), locale: str = "zh-CN") -> bool:
        return self._built.mail.reply_from_chat(licensee_id, ticket_id, conversation_id, number, text, author,
                                                _kept(files), locale)


def _kept(files: tuple[ChatFile, ...]) -> tuple[Any, ...]:
    """Chat files as the mail side keeps attachments: their bytes stay where chat stored them."""
    from chalicelib.mail.parsing import Attachment

    return tuple(Attachment(f.name, f.content_type, f.size, blob_key=f.key) for f in files)


def _models(settings: Settings) -> list[tuple[Any, str]]:
    """Every table's model and its name in this stage."""
    return [(_model(path), table) for path, table in _tables(settings)]


def _model(path: str) -> Any:
    """A table's model from its `module:Class` name, its module imported now."""
    import importlib

    module, name = path.split(":")
    return getattr(importlib.import_module(module), name)


def _tables(settings: Settings) -> list[tuple[str, str]]:
    """Every table's model, named by the module that defines it (imported only where it is used), and the
    table's name in this stage."""
    return [("chalicelib.licensing.store:LicensingItem", settings.licensing_table),
            ("chalicelib.audit.store:AuditItem", settings.audit_table),
            ("chalicelib.mail.store:MailItem", settings.mail_table),
            ("chalicelib.billing.items:BillingItem", settings.billing_table),
            ("chalicelib.chat.items:ChatItem", settings.chat_table),
            ("chalicelib.phone.store:PhoneItem", settings.phone_table),
            ("chalicelib.support.store:SupportItem", settings.support_table),
            ("chalicelib.privacy.store:PrivacyItem", settings.privacy_table)]


def _phone(built: Services) -> PhoneService:
    """The phone channel: DescribeContact from Amazon Connect on AWS, a local stand-in in local mode."""
    from chalicelib.phone.service import Contacts, PhoneService
    from chalicelib.phone.store import PhoneStore

    contacts: Contacts
    if built.settings.contacts == "connect":
        from chalicelib.adapters.connect import ConnectContacts

        contacts = ConnectContacts(built.settings.region)
    else:
        from chalicelib.local.connect import LocalContacts

        contacts = LocalContacts()
    # Recording links are signed with the newest reply secret (its own context string keeps the uses apart).
    return PhoneService(PhoneStore(), built.licensing, contacts, built.blobs, built.clock, built.settings,
                        built.metrics, lambda: built.mail.secrets[0])


def _support(built: Services) -> SupportService:
    """Support reads force majeure through billing's public list of periods (clause 13.5), not its storage."""
    from chalicelib.licensing.model import terms_on
    from chalicelib.support.model import Targets
    from chalicelib.support.service import SupportService
    from chalicelib.support.store import SupportStore

    def force_majeure(licensee_id: str) -> list[tuple[date, date]]:
        return [(p.days.start, p.days.end) for p in built.billing.force_majeure()
                if p.licensee_id in (None, licensee_id)]

    def agreed(licensee_id: str, day: date) -> Targets | None:
        lic = built.licensing.license(licensee_id)
        terms = terms_on(lic, day) if lic is not None else None
        if terms is None or terms.support_first_response_minutes is None or terms.support_resolution_minutes is None:
            return None
        return Targets(terms.support_first_response_minutes, terms.support_resolution_minutes)

    def amend(licensee_id: str, targets: Targets, actor: str) -> None:
        built.licensing.amend(licensee_id, built.clock.now().astimezone(built.settings.timezone).date(), actor,
                              support_targets=(targets.first_response_minutes, targets.resolution_minutes),
                              note="support targets")

    def tell(licensee_id: str, key: str, params: Mapping[str, object], variant: str) -> bool:
        from chalicelib.notices.model import NoticeKind

        return built.notices.notify(licensee_id, NoticeKind.SUPPORT_ANSWER, key, params, variant=variant)

    return SupportService(SupportStore(), built.clock, built.settings.timezone, built.metrics, force_majeure,
                          partial(_has_agreement, built), agreed, amend, tell)


def _desk(built: Services) -> SupportDesk:
    from chalicelib.support.desk import SupportDesk, senders_of

    return SupportDesk(built.support, senders_of(built.licensing.licensees_at))


def _privacy(built: Services) -> PrivacyService:
    """Privacy reaches the other areas' content through their privacy_store modules; its notices go out through
    the notices area as training's do (chalicelib/privacy/notices.py), its archive links are signed with the
    newest reply secret."""
    from chalicelib.notices.model import NoticeKind
    from chalicelib.privacy.service import PrivacyService
    from chalicelib.privacy.sources import Blobs
    from chalicelib.privacy.store import PrivacyStore

    def notify(licensee_id: str, kind: str, key: str, subject: str, text: str) -> bool:
        return built.notices.send(licensee_id, NoticeKind(kind), key, subject, text)

    return PrivacyService(PrivacyStore(), built.clock, built.settings.timezone, built.licensing,
                          Blobs(built.blobs, built.inbound_raw_mail), notify, lambda: built.mail.secrets[0],
                          built.settings.export_window_days, chat_ttl=built.chat.set_retention)


def _has_agreement(built: Services, licensee_id: str) -> bool:
    return built.licensing.license(licensee_id) is not None


def _training(built: Services) -> TrainingService:
    from chalicelib.notices.model import NoticeKind
    from chalicelib.training.service import TrainingService
    from chalicelib.training.store import TrainingStore

    def notify(licensee_id: str, key: str, subject: str, text: str) -> bool:
        return built.notices.send(licensee_id, NoticeKind.TRAINING, key, subject, text)

    return TrainingService(TrainingStore(), built.clock, built.settings.timezone, notify,
                           partial(_has_agreement, built),
                           delivered=built.billing.session_delivered)


def _mailer(settings: Settings, clock: Clock) -> Mailer:
    """The mailer the settings ask for: `outbox` (local files) unless another adapter is configured."""
    if settings.mailer == "outbox":
        from chalicelib.local.outbox import OutboxMailer

        return OutboxMailer(settings.data_dir / "outbox", clock, settings.mail_domain)
    if settings.mailer == "smtp":
        from chalicelib.local.smtp_mailer import SmtpMailer

        return SmtpMailer(settings.smtp_relay, clock, settings.mail_domain)
    if settings.mailer == "ses":
        from chalicelib.adapters.ses import SesMailer

        return SesMailer(settings.region, clock, settings.mail_domain, settings.ses_configuration_set)
    raise ValueError(f"Unknown mailer {settings.mailer!r} (KEFU_MAILER)")


def _realtime(settings: Settings, clock: Clock, metrics: MetricsSink) -> RealtimeService:
    """Push through API Gateway's Management API when the stage names its endpoint; none otherwise (local
    mode's loopback server plugs itself in once it listens)."""
    from chalicelib.realtime.service import RealtimeService
    from chalicelib.realtime.store import ConnectionStore

    sender = None
    if settings.realtime_endpoint:
        from chalicelib.adapters.apigateway import ManagementApi

        sender = ManagementApi(settings.realtime_endpoint, settings.region)
    return RealtimeService(ConnectionStore(), sender, clock, metrics, settings.realtime_url,
                           settings.realtime_connection_hours)


def _blobs(settings: Settings) -> BlobStore:
    """Where raw mail and attachments live: S3 on AWS, a folder under the data directory locally."""
    if settings.blobs == "folder":
        from chalicelib.local.blobs import FolderBlobs

        return FolderBlobs(settings.data_dir / "blobs")
    if settings.blobs == "s3":
        from chalicelib.adapters.s3 import S3Blobs

        return S3Blobs(settings.mail_bucket, settings.region)
    raise ValueError(f"Unknown blob store {settings.blobs!r} (KEFU_BLOBS)")


def _digests(settings: Settings) -> BlobStore:
    """Where the audit trail's daily digests go: the Object Lock bucket on AWS, a folder locally."""
    if settings.blobs == "s3":
        from chalicelib.adapters.s3 import S3Blobs

        return S3Blobs(settings.audit_bucket, settings.region)
    from chalicelib.local.blobs import FolderBlobs

    return FolderBlobs(settings.data_dir / "audit-digests")


def _raw_mail(settings: Settings, blobs: BlobStore) -> BlobStore:
    """Where SES stored the raw inbound mail: the receiving region's bucket when SES receives in another region
    than the main one (infra/ingress.py), else the blob store itself."""
    if settings.blobs == "s3" and (settings.raw_mail_bucket, settings.raw_mail_region) != (settings.mail_bucket,
                                                                                         settings.region):
        from chalicelib.adapters.s3 import S3Blobs

        return S3Blobs(settings.raw_mail_bucket, settings.raw_mail_region)
    return blobs


def _reply_secrets(settings: Settings) -> Callable[[], tuple[bytes, ...]] | None:
    """Where the reply secrets come from: KEFU_REPLY_SECRET (local mode, tests) or, on AWS, the Secrets Manager
    secret KEFU_REPLY_SECRET_ARN names, read on first use only (functions that never sign pay nothing). Staff
    commands against an AWS stage (`./kefu --stage prod`) are not given the ARN: they find the secret by the
    stage's name for it."""
    if settings.reply_secrets:
        return None
    from chalicelib import resources

    secret_id = settings.reply_secret_arn or (resources.reply_secret_name(settings.stage)
                                              if settings.mailer == "ses" else None)
    if secret_id is None:
        return None
    from chalicelib.adapters.secrets import SecretList

    return SecretList(secret_id, settings.region)


def _operations(settings: Settings, metrics: MetricsSink, blobs: BlobStore | None = None,
                mailer: Mailer | None = None, raw_mail: BlobStore | None = None) -> OperationsService:
    """Backups and health of every table, known by name: the health and backup functions import no area's
    models. DynamoDB Local has no backups: there the adapter exports to dated files."""
    from chalicelib.adapters import dynamodb
    from chalicelib.adapters.backups import BackupStore, TableRef
    from chalicelib.operations.service import OperationsService, Probe

    named = _tables(settings)
    tables = [TableRef(path.split(":")[1], table) for path, table in named]
    backups: BackupStore
    if settings.dynamodb_endpoint:
        from chalicelib.local.backups import FileBackups

        backups = FileBackups(settings.data_dir / "backups", lambda: dynamodb.connection().client)
    else:
        from chalicelib.adapters.backups import DynamoDBBackups

        backups = DynamoDBBackups(settings.region)
    # Each area adds probes for what it depends on here: the tables, the blob store (the mail bucket on AWS, a
    # folder locally) and the mailer (SES's sending status on AWS, the outbox folder locally).
    probes = [Probe(f"table:{table}", partial(dynamodb.ping_table, table)) for _, table in named]
    # The receiving region's raw-mail bucket, where SES receives in another region than this one.
    raw = raw_mail if raw_mail is not blobs else None
    for component, adapter in (("blobs", blobs), ("mailer", mailer), ("raw_mail", raw)):
        check = getattr(adapter, "check", None)
        if callable(check):
            probes.append(Probe(component, check))

    def reachable() -> None:  # the first table's model, imported on the API's first health request
        dynamodb.reachable(_model(named[0][0]))

    return OperationsService(tables, backups, probes, settings.timezone, settings.backup_retention_days, metrics,
                             reachable=reachable if named else None)


_current: Services | None = None


def services() -> Services:
    """The process's services, built on first use (not at import: cold start stays small)."""
    global _current
    if _current is None:
        _current = build()
    return _current


def use(built: Services | None) -> None:
    """Replace the process's services (tests, the local runner)."""
    global _current
    _current = built
