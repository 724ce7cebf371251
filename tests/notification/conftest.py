"""Fixtures for the email tests: a mailer for the local SendGrid server (`mailserver`, from tests/conftest.py)."""

from __future__ import annotations

import datetime as dt
import json
import urllib.request

import pytest

from safegov.core.periods import TZ

SECRET_KEY = "SG.test-secret-key-DO-NOT-LOG-9f8e7d"


@pytest.fixture
def mailer(mailserver):
    from safegov.notification.mail import SendGridMailer

    return SendGridMailer(SECRET_KEY, mailserver.url, timeout=5)


def control(server, **body):
    req = urllib.request.Request(
        f"{server.url}/_control",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=5) as resp:
        return json.loads(resp.read())


def received(server):
    with urllib.request.urlopen(f"{server.url}/messages", timeout=5) as resp:
        return json.loads(resp.read().decode("utf-8"))


NOW = dt.datetime(2024, 4, 2, 9, 0, tzinfo=TZ)


def queue_one(
    session,
    n=0,
    *,
    to="zhang.san@example.gov.cn",
    period="2024-03",
    historical=False,
    template="notice",
    created_at=NOW,
    context=None,
    cc=None,
):
    from safegov.notification.outbox import queue

    ctx = {
        "recipient_name": "张三",
        "obligation_id": "SC-MEET-LOCAL",
        "obligation_title": "盟市、旗县安委会每月至少召开1次会议",
        "article": ["五"],
        "subject_id": "150102",
        "subject_name": "新城区",
        "period": period,
        "due_on": "2024-03-31",
        "required": 1,
        "counted": 0,
        "reason": "no_records",
    }
    ctx.update(context or {})
    return queue(
        session,
        purpose="notice",
        subject_id=f"1501{n:02d}",
        period=period,
        recipient=f"L{n}",
        step="notice",
        to_email=to,
        cc=cc,
        template=template,
        context=ctx,
        historical=historical,
        created_at=created_at,
    )
