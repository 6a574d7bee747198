"""Imports every domain's tables so that Base.metadata knows them all."""

from sdmd.audit.models import AuditEntry
from sdmd.auth.models import (  # noqa: F401 (registers tables)  # noqa: F401
           ApiToken,
           AppSetting,
           AuthSession,
           EndedSession,
           LoginFailure,
           MfaChallenge,
           RecoveryCode,
           User,
           UserMfa,
)
from sdmd.db.base import Base
from sdmd.gitops.models import GitopsRepo, GitopsRound, GitopsStack
from sdmd.hosts.models import Host
from sdmd.notifications.models import NotificationChannel, NotificationDelivery, NotificationMark
from sdmd.registries.models import RegistryCredential
from sdmd.schedules.models import ScheduledTask, UpdateRun
from sdmd.services.models import DockerService, DockerServiceConfig
from sdmd.webhooks.models import Webhook, WebhookCall  # noqa: F401

__all__ = ["AuditEntry", "Base", "DockerService", "DockerServiceConfig", "GitopsRepo", "GitopsRound", "GitopsStack",
           "Host", "NotificationChannel", "NotificationDelivery", "NotificationMark", "RegistryCredential",
           "ScheduledTask", "UpdateRun"]
