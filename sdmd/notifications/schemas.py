from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from sdmd.notifications.events import SELECTORS
from sdmd.nullable import without_null

URL_DOC = ("An Apprise URL (https://github.com/caronc/apprise/wiki), e.g. `ntfy://ntfy.sh/my-topic`, "
           "`tgram://bottoken/chatid`, `mailto://user:pass@smtp.example.com?to=ops@example.com`, "
           "`json://hooks.example.com/sdmd`. Stored encrypted; read back masked.")
# Documented here, checked by apprise_url.validate so that a refusal says what is wrong (Apprise picks its
# plugin by the scheme).
URL_PATTERN = r"^[A-Za-z][A-Za-z0-9+.-]*://"
# Checked by the service, so that an unknown selector is named in the error.
EventSelector = Annotated[str, WithJsonSchema({"type": "string", "enum": SELECTORS})]
EVENTS_DOC = ("Event types (`GET /api/notifications/events`), `<group>.*` (e.g. `update.*`) or `*` for all. "
              "Default: all.")


class ChannelCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True,
                              json_schema_extra={"examples": [{"name": "ops phone", "url": "ntfy://ntfy.sh/my-topic",
                                                               "events": ["update.*", "container.*"]}]})

    name: str = Field(min_length=1, max_length=64)
    url: str = Field(description=URL_DOC, json_schema_extra={"pattern": URL_PATTERN})
    events: list[EventSelector] = Field(default_factory=lambda: ["*"], description=EVENTS_DOC, max_length=64)
    enabled: bool = True
    digest: bool = Field(default=False, description="true: no message per event; one daily digest at "
                                                    "SDMD_NOTIFY_DIGEST_TIME with everything since the last")


# What a client may send back unchanged from a GET; ignored on PUT.
READ_ONLY = {"id", "url_has_secrets", "created_at", "updated_at", "last_delivery", "last_failure"}


def _not_nullable(schema: dict[str, Any], *fields: str) -> None:
    """Drops the null branch (and the null default) of optional fields whose null the service refuses."""
    for field in fields:
        schema["properties"][field] = without_null(schema["properties"][field])


class ChannelUpdate(BaseModel):
    """A PUT changes the fields it names. `url` sent back as read (masked) keeps the stored URL."""

    model_config = ConfigDict(extra="forbid", strict=True,
                              json_schema_extra=lambda schema: _not_nullable(schema, "name", "events", "enabled",
                                                                             "digest"))

    # Absent means "unchanged"; null is refused (except for url: the stored one stays), so the schema
    # offers no null where the answer would be 422.
    name: str | None = Field(default=None, min_length=1, max_length=64)
    url: str | None = Field(default=None, description=URL_DOC + " Empty or null: unchanged.",
                            json_schema_extra={"pattern": f"^$|{URL_PATTERN}"})
    events: list[EventSelector] | None = Field(default=None, description=EVENTS_DOC, max_length=64)
    enabled: bool | None = None
    digest: bool | None = None
    id: Any = None
    url_has_secrets: Any = None
    created_at: Any = None
    updated_at: Any = None
    last_delivery: Any = None
    last_failure: Any = None

    def changes(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.model_fields_set if k not in READ_ONLY}


class DeliveryRead(BaseModel):
    id: int
    channel_id: str | None = Field(description="null once the channel was deleted")
    channel_name: str
    event_type: str = Field(examples=["update.rolled_back"], description="an event type, `test` or `digest`")
    severity: str = Field(examples=["warning"], description="info, warning or error")
    title: str
    body: str
    service: str | None
    host: str | None
    link: str | None
    status: str = Field(examples=["sent"], description="pending, retrying, sent, failed, cancelled; "
                                                       "digest (waiting for the daily digest), digested")
    attempts: int
    error: str | None = Field(description="the last attempt's error, as Apprise reported it")
    digest_id: int | None = Field(description="for a digested event: the digest delivery that carried it")
    occurred_at: datetime
    created_at: datetime
    last_attempt_at: datetime | None
    sent_at: datetime | None


class ChannelRead(BaseModel):
    id: str
    name: str
    url: str = Field(description="masked: secrets replaced by Apprise's privacy form", examples=["tgram://1...t/987/"])
    url_has_secrets: bool = Field(description="whether the masked form hides anything")
    events: list[str]
    enabled: bool
    digest: bool
    created_at: datetime
    updated_at: datetime
    last_delivery: DeliveryRead | None = Field(description="the newest delivery to this channel")
    last_failure: DeliveryRead | None = Field(description="the newest delivery to this channel that failed "
                                                          "(every attempt spent), with its error")


class ChannelTestResult(BaseModel):
    delivered: bool
    error: str | None = None
    delivery: DeliveryRead


class EventType(BaseModel):
    type: str = Field(examples=["container.died"])
    group: str = Field(examples=["container"])
    severity: str
    description: str
