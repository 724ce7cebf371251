"""Mail templates: every kind renders in Chinese and English; HTML is autoescaped."""

from __future__ import annotations

import pytest

from safegov.notification.outbox import TEMPLATES, render

CTX = {
    "recipient_name": "王五",
    "obligation_id": "LEAD-INSPECT-COUNTY",
    "obligation_title": "旗县党政主要领导每月至少1次带队督导检查",
    "article": ["五"],
    "subject_id": "150102:party_secretary",
    "subject_name": "新城区",
    "period": "2024-03",
    "due_on": "2024-03-31",
    "required": 1,
    "counted": 0,
    "reason": "no_records",
    "case_id": 12,
    "rule_id": "LEAD-INSPECT-COUNTY",
    "persons": ["L1", "L2"],
    "enterprise_id": "91150100MA0N0000X0",
    "enterprise_name": "某某煤业有限公司",
    "trigger": "较大事故",
    "objection_deadline": "2024-04-09",
    "scopes": ["招投标", "政府采购"],
    "on": "2024-04-01",
    "cases": [
        {"case_id": 12, "kind": "interview", "subject_id": "150102", "period": "2024-03", "opened_on": "2024-04-10"}
    ],
    "items": [
        {"subject": "150102", "purpose": "reminder", "step": "remind-5", "period": "2024-03", "mail_subject": "提醒"}
    ],
}


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_template_renders(template, lang):
    subject, text, html = render(template, CTX, lang)
    assert subject and "\n" not in subject
    assert text.strip() and html.startswith("<!doctype html>")
    if lang == "zh":
        assert subject.startswith("【") and any("\u4e00" <= ch <= "\u9fff" for ch in text)
    else:
        assert subject.startswith("[") and "同志" not in text


def test_reminder_says_what_is_missing_quota_count_due_and_how():
    _, text, html = render("reminder", {**CTX, "required": 2, "counted": 1, "offset": 5, "days_left": 5}, "zh")
    for part in ("应完成：2次", "已计入：1次", "尚缺：1次", "2024年3月31日", "还有5个工作日", "报送方式"):
        assert part in text
    assert "截止日期" in html  # the facts table of the HTML part


def test_html_is_autoescaped_and_text_is_not():
    _, text, html = render("notice", {**CTX, "subject_name": "<b>A&B</b>"}, "zh")
    assert "&lt;b&gt;A&amp;B&lt;/b&gt;" in html and "<b>A&B</b>" not in html
    assert "<b>A&B</b>" in text


def test_language_from_context_wins():
    subject, _, _ = render("notice", {**CTX, "lang": "en"}, "zh")
    assert subject.startswith("[Notice]")


def test_unknown_template_is_a_clear_error():
    from safegov.core.errors import SafegovError

    with pytest.raises(SafegovError, match="no mail template 'nope'"):
        render("nope", CTX)


def test_config_is_validated(tmp_path):
    from safegov.core.errors import SafegovError
    from safegov.notification.outbox import load_notification_config

    good = load_notification_config()  # the shipped config/notifications.yaml
    assert good.language == "zh" and good.max_attempts == 5
    bad = tmp_path / "n.yaml"
    bad.write_text("language: fr\n", encoding="utf-8")
    with pytest.raises(SafegovError, match="field language"):
        load_notification_config(bad)


@pytest.mark.parametrize(
    "value, masked",
    [
        ("zhang.san@example.gov.cn", "z***@e***.cn"),
        ("13812345678", "1***78"),
        (None, "-"),
    ],
)
def test_mask(value, masked):
    from safegov.notification.mail import mask

    assert mask(value) == masked


@pytest.mark.parametrize(
    "env, expected",
    [
        ({"SENDGRID_API_KEY": "SG.env"}, "SG.env"),
        ({"AIRFLOW_CONN_SENDGRID_DEFAULT": "sendgrid://:SG.conn%2Fkey@", "SENDGRID_API_KEY": "SG.env"}, "SG.conn/key"),
        ({"AIRFLOW_CONN_SENDGRID_DEFAULT": '{"conn_type": "sendgrid", "password": "SG.json"}'}, "SG.json"),
        ({}, "SG.local-development-placeholder"),
    ],
)
def test_mailer_key_sources(monkeypatch, env, expected):
    import sys

    from safegov.notification.mail import get_mailer

    monkeypatch.delitem(sys.modules, "airflow.sdk", raising=False)  # as in the CLI: outside Airflow
    for k in ("SENDGRID_API_KEY", "AIRFLOW_CONN_SENDGRID_DEFAULT", "SAFEGOV_SENDGRID_HOST"):
        monkeypatch.delenv(k, raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    m = get_mailer()
    assert m._api_key == expected and m.host == "http://127.0.0.1:8025"
    assert expected not in repr(m)


def test_no_placeholder_key_for_the_real_sendgrid(monkeypatch):
    from safegov.core.errors import SafegovError
    from safegov.notification.mail import get_mailer

    for k in ("SENDGRID_API_KEY", "AIRFLOW_CONN_SENDGRID_DEFAULT"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("SAFEGOV_SENDGRID_HOST", "https://api.sendgrid.com")
    with pytest.raises(SafegovError, match="no SendGrid API key"):
        get_mailer()


def test_malformed_connection_json_is_an_error(monkeypatch):
    import sys

    from safegov.core.errors import SafegovError
    from safegov.notification.mail import get_mailer

    monkeypatch.delitem(sys.modules, "airflow.sdk", raising=False)
    monkeypatch.delenv("SAFEGOV_SENDGRID_HOST", raising=False)
    monkeypatch.setenv("AIRFLOW_CONN_SENDGRID_DEFAULT", '{"password": ')
    monkeypatch.setenv("SENDGRID_API_KEY", "SG.env")
    with pytest.raises(SafegovError, match="AIRFLOW_CONN_SENDGRID_DEFAULT is not valid JSON"):
        get_mailer()


def test_inside_airflow_only_a_missing_connection_falls_back(monkeypatch):
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException

    from safegov.notification.mail import get_mailer

    monkeypatch.delenv("SAFEGOV_SENDGRID_HOST", raising=False)
    monkeypatch.setenv("SENDGRID_API_KEY", "SG.env")

    def missing(conn_id):
        raise AirflowNotFoundException(f"The conn_id `{conn_id}` isn't defined")

    monkeypatch.setattr(BaseHook, "get_connection", staticmethod(missing))
    assert get_mailer()._api_key == "SG.env"

    def broken(conn_id):
        raise PermissionError("secrets backend refused")

    monkeypatch.setattr(BaseHook, "get_connection", staticmethod(broken))
    with pytest.raises(PermissionError):
        get_mailer()
