"""E-mail over SMTP: the engine that sends the messages it is given, when
``$SELARAS_SMTP_HOST`` is set (port ``$SELARAS_SMTP_PORT``, 25; sender ``$SELARAS_SMTP_FROM``)."""

from __future__ import annotations

import os
import smtplib
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage


@dataclass(frozen=True)
class Surel:
    """One e-mail to send."""

    to: str
    subject: str
    body: str


def configured() -> bool:
    """Whether an SMTP server is configured (``$SELARAS_SMTP_HOST``)."""
    return bool(os.environ.get("SELARAS_SMTP_HOST"))


def send(messages: Sequence[Surel]) -> None:
    """Send ``messages`` over one SMTP connection (``OSError`` when the server is unreachable)."""
    host = os.environ["SELARAS_SMTP_HOST"]
    port = int(os.environ.get("SELARAS_SMTP_PORT", "25"))
    sender = os.environ.get("SELARAS_SMTP_FROM", "selaras@localhost")
    with smtplib.SMTP(host, port, timeout=10) as smtp:
        for m in messages:
            msg = EmailMessage()
            msg["From"], msg["To"], msg["Subject"] = sender, m.to, m.subject
            msg.set_content(m.body)
            smtp.send_message(msg)
