"""Notification payloads and the senders for webhook, Slack and email targets.

A notification carries only the alarm's id, rule, severity, action, actor, resource
type and id, event count, time and journal sequence numbers. It never carries the
detail values of the events, which may contain account numbers or file content. A
receiver reads those from `/v1/journal` with the service token. Delivery is at least
once, so a receiver should drop a repeated `alarm_id`.

Action, actor and resource fields come from audit events, and an unauthenticated
sign-in can choose the actor. Slack text and email escape them, see
`escape_control_characters` and `escape_slack_text`. A webhook sends them as JSON
strings, which JSON already escapes.
"""

import asyncio
import json
import smtplib
import ssl
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from email.message import EmailMessage
from typing import Any

import httpx

from recon_audit.alarms.rules import Channel, Target
from recon_audit.models import Alarm
from recon_audit.settings import AuditSettings


class DeliveryFailed(Exception):
    """A receiver rejected a notification or could not be reached.

    The message never contains the target's URL, because a Slack or webhook URL is
    often a secret.
    """


@dataclass(frozen=True)
class AlarmNotice:
    """The fields of an alarm that a notification may carry."""

    alarm_id: int
    rule: str
    severity: str
    action: str
    actor: str
    resource_type: str
    resource_id: str
    event_count: int
    fired_at: datetime
    sequences: tuple[int, ...]

    @classmethod
    def from_alarm(cls, alarm: Alarm) -> "AlarmNotice":
        """Copy the notification fields out of an alarm row."""
        return cls(
            alarm_id=alarm.id,
            rule=alarm.rule_name,
            severity=alarm.severity,
            action=alarm.action,
            actor=alarm.actor,
            resource_type=alarm.resource_type,
            resource_id=alarm.resource_id,
            event_count=alarm.event_count,
            fired_at=alarm.fired_at,
            sequences=tuple(json.loads(alarm.sequences)),
        )

    def headline(self) -> str:
        """Return a title built only from the rule, severity, count and alarm id.

        Email uses it as the subject. It contains no value that an event chose.
        """
        return (
            f"[{self.severity.upper()}] audit alarm {self.rule}: "
            f"{self.event_count} event(s), alarm {self.alarm_id}"
        )

    def summary(self) -> str:
        """Return one line that describes the alarm, with the event's fields as is."""
        return (
            f"[{self.severity.upper()}] audit alarm {self.rule}: {self.event_count} "
            f"event(s), last {self.action} by {self.actor} on {self.resource_type} "
            f"{self.resource_id}"
        )

    def with_text_escaped(self, escape: Callable[[str], str]) -> "AlarmNotice":
        """Return a copy whose text fields went through `escape`."""
        return replace(
            self,
            rule=escape(self.rule),
            severity=escape(self.severity),
            action=escape(self.action),
            actor=escape(self.actor),
            resource_type=escape(self.resource_type),
            resource_id=escape(self.resource_id),
        )


# Unicode categories of control (Cc) and format (Cf) characters and of the line and
# paragraph separators (Zl, Zp). A line break in an email header starts a new header.
# In Slack text it starts a line that looks like a field of the alarm. Format
# characters such as U+202E reverse the order in which the following text is shown.
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})
_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def escape_control_characters(text: str) -> str:
    """Replace control, format and line-separator characters with escapes like `\\n`.

    A backslash already in the text is kept as is, so `a\\nb` written by an event
    and an escaped line break look the same.
    """
    return "".join(
        _escape_character(character)
        if unicodedata.category(character) in _UNSAFE_CATEGORIES
        else character
        for character in text
    )


def _escape_character(character: str) -> str:
    named = _NAMED_ESCAPES.get(character)
    if named is not None:
        return named
    code = ord(character)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def escape_slack_text(text: str) -> str:
    """Escape control characters, then `&`, `<` and `>` as Slack's text format needs.

    Slack reads `<!channel>` as a mention and `<url|label>` as a link, so an event's
    value must reach it as `&lt;!channel&gt;`.
    """
    escaped = escape_control_characters(text)
    return escaped.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def webhook_payload(notice: AlarmNotice) -> dict[str, Any]:
    """Return the JSON body of a webhook notification."""
    return {
        "alarm_id": notice.alarm_id,
        "rule": notice.rule,
        "severity": notice.severity,
        "action": notice.action,
        "actor": notice.actor,
        "resource_type": notice.resource_type,
        "resource_id": notice.resource_id,
        "count": notice.event_count,
        "time": notice.fired_at.isoformat(),
        "sequences": list(notice.sequences),
    }


def slack_payload(notice: AlarmNotice) -> dict[str, Any]:
    """Return the body of a Slack incoming-webhook message, with every value escaped."""
    safe = notice.with_text_escaped(escape_slack_text)
    sequences = ", ".join(str(sequence) for sequence in notice.sequences)
    lines = [
        f"*{safe.headline()}*",
        f"last {safe.action} by {safe.actor} on {safe.resource_type} "
        f"{safe.resource_id}",
        f"time: {notice.fired_at.isoformat()}",
        f"journal sequences: {sequences}",
    ]
    return {"text": "\n".join(lines)}


def email_message(
    notice: AlarmNotice, *, sender: str, to: tuple[str, ...]
) -> EmailMessage:
    """Return the plain-text email of a notice, with control characters escaped."""
    safe = notice.with_text_escaped(escape_control_characters)
    message = EmailMessage()
    message["Subject"] = safe.headline()
    message["From"] = sender
    message["To"] = ", ".join(to)
    body = webhook_payload(safe)
    lines = [safe.summary(), ""]
    lines += [f"{name}: {value}" for name, value in body.items()]
    message.set_content("\n".join(lines) + "\n")
    return message


class Notifier:
    """Send one notification to one target, raising `DeliveryFailed` on failure."""

    def __init__(self, *, settings: AuditSettings, http: httpx.AsyncClient) -> None:
        self._settings = settings
        self._http = http

    async def send(self, target: Target, notice: AlarmNotice) -> None:
        """Deliver `notice` to `target` within the delivery timeout."""
        if target.channel == Channel.EMAIL:
            await self._send_email(target, notice)
            return
        payload = (
            slack_payload(notice)
            if target.channel == Channel.SLACK
            else webhook_payload(notice)
        )
        await self._post(target, payload)

    async def _post(self, target: Target, payload: dict[str, Any]) -> None:
        if target.url is None:
            raise DeliveryFailed(f"target {target.name} has no URL")
        try:
            response = await self._http.post(
                target.url,
                json=payload,
                timeout=self._settings.alarm_delivery_timeout_s,
            )
        except httpx.TimeoutException as exc:
            raise DeliveryFailed(
                f"timed out after {self._settings.alarm_delivery_timeout_s} s "
                f"({type(exc).__name__})"
            ) from exc
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"request failed: {type(exc).__name__}") from exc
        if not response.is_success:
            raise DeliveryFailed(f"receiver returned HTTP {response.status_code}")

    async def _send_email(self, target: Target, notice: AlarmNotice) -> None:
        message = email_message(
            notice, sender=self._settings.smtp_sender, to=target.recipients
        )
        try:
            await asyncio.to_thread(self._send_smtp, message)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryFailed(
                f"SMTP delivery failed: {type(exc).__name__}: {exc}"[:400]
            ) from exc

    def _send_smtp(self, message: EmailMessage) -> None:
        settings = self._settings
        with smtplib.SMTP(
            settings.smtp_host,
            settings.smtp_port,
            timeout=settings.alarm_delivery_timeout_s,
        ) as client:
            if settings.smtp_starttls:
                client.starttls(context=ssl.create_default_context())
            if settings.smtp_username is not None:
                password = (
                    settings.smtp_password.get_secret_value()
                    if settings.smtp_password is not None
                    else ""
                )
                client.login(settings.smtp_username, password)
            client.send_message(message)
