"""Every mail in plain Chinese (and plain English): names for codes, dates in words, counts
and reasons, the right greeting and the true time left. The templates render with
StrictUndefined, so a value a template reads but no producer gives fails here."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from plainwords import problems
from safegov.notification.outbox import TEMPLATES, render
from safegov.notification.wording import Names, why_words
from web.seed import ENT_A, ENT_B, seed

# What each producer queues (codes and ISO dates, as reminders.py, cases.case_context,
# blacklist._queue_notified, operator_alerts, calendar_watch and queue_digests pass them).
CASE = {
    "case_id": 2,
    "kind": "interview",
    "case_kind": "interview",
    "rule_id": "SC-MEET-LOCAL",
    "obligation_id": "SC-MEET-LOCAL",
    "obligation_title": "盟市、旗县安委会每季度至少召开1次全体会议",
    "article": ["四"],
    "subject_kind": "unit",
    "subject_id": "150202",
    "unit_code": "150202",
    "period": "2024-03",
    "due_on": "2024-03-31",
    "reason": "2 consecutive misses",
    "persons": ["L-150102-PS"],
    "deciding_unit": "150200",
    "opened_on": "2024-04-08",
    "details": {"why": "2 consecutive misses", "reason": "evidence_rejected", "due_on": "2024-03-31"},
}
CONTEXTS = {
    "reminder": {
        "obligation_id": "SC-MEET-LOCAL",
        "obligation_title": "盟市、旗县安委会每季度至少召开1次全体会议",
        "article": ["四"],
        "subject_id": "150102",
        "subject_name": "新城区",
        "period": "2024-Q1",
        "due_on": "2024-03-29",
        "offset": 5,
        "days_left": 1,
        "required": 1,
        "counted": 0,
        "record_type": "会议记录（meeting）",
        "recipient_name": "张三",
    },
    "notice": {
        **CASE,
        "kind": "notice",
        "case_kind": "notice",
        "subject_id": "150102",
        "unit_code": "150102",
        "period": "2024-02",
        "details": {"why": "a miss", "reason": "no_records", "due_on": "2024-02-29"},
    },
    "case_interview": CASE,
    "case_admonishment": {**CASE, "kind": "admonishment", "details": {"why": "3 misses in 12 months"}},
    "case_dual_interview": {
        **CASE,
        "kind": "dual_interview",
        "rule_id": "DUAL-INTERVIEW-LEAGUE",
        "obligation_id": None,
        "obligation_title": None,
        "period": "ACC-2",
        "subject_id": "150200",
        "deciding_unit": "150000",
        "details": {"why": "a major accident in the league/city", "accident_id": "ACC-2", "grade": "major"},
    },
    "case_reporting_violation": {
        **CASE,
        "kind": "reporting_violation",
        "rule_id": "REPORTING-VIOLATION",
        "obligation_id": None,
        "obligation_title": None,
        "subject_kind": "enterprise",
        "subject_id": ENT_B,
        "period": "ACC-2",
        "enterprise_id": ENT_B,
        "details": {
            "why": "under_graded, concealed",
            "violations": ["under_graded", "concealed"],
            "accident_id": "ACC-2",
        },
    },
    "case_enforcement": {
        **CASE,
        "kind": "enforcement",
        "rule_id": "MAJOR-HAZARD-OVERDUE",
        "obligation_id": None,
        "obligation_title": None,
        "subject_kind": "enterprise",
        "subject_id": ENT_A,
        "period": "H-1",
        "enterprise_id": ENT_A,
        "hazard_id": "H-1",
        "details": {"why": "major hazard still not rectified", "hazard_id": "H-1"},
    },
    "case_blacklist": {
        **CASE,
        "kind": "blacklist",
        "rule_id": "BLACKLIST-ACCIDENT",
        "obligation_id": None,
        "obligation_title": None,
        "subject_kind": "enterprise",
        "subject_id": ENT_A,
        "period": "ACC-1",
        "enterprise_id": ENT_A,
        "accident_id": "ACC-1",
        "reason": None,
        "details": {"document_ref": "内应急罚〔2024〕3号", "penalty_id": "P-1", "why": "重大生产安全事故ACC-1"},
    },
    # 〔十八〕 HAZARD-REFUSAL-PENALTY (refusal.hazard_refusal_penalty's details)
    "case_penalty_recommendation": {
        **CASE,
        "kind": "penalty_recommendation",
        "case_kind": "penalty_recommendation",
        "rule_id": "HAZARD-REFUSAL-PENALTY",
        "obligation_id": None,
        "obligation_title": None,
        "subject_kind": "enterprise",
        "subject_id": ENT_A,
        "period": "H-1",
        "enterprise_id": ENT_A,
        "hazard_id": "H-1",
        "persons": ["张三", "王五"],
        "details": {
            "why": "hazard not removed 30 days after enforcement",
            "hazard_id": "H-1",
            "legal_representative": "张三",
            "actual_controller": "王五",
            "penalty_id": "P-1",
            "document_ref": "新应急责改〔2024〕7号",
            "enforced_on": "2024-04-01",
        },
    },
    "blacklist_notified": {
        "enterprise_id": ENT_A,
        "enterprise_name": "新城煤业有限公司",
        "trigger": "瞒报、谎报生产安全事故",
        "trigger_ref": "ACC-1",
        "objection_deadline": "2024-04-09",
        "scopes": ["招投标", "政府采购"],
    },
    "approval_reminder": {"cases": [CASE], "waited_working_days": 6, "office": "150200", "recipient_name": None},
    "digest": {
        "office": "150200",
        "office_name": "包头市",
        "on": "2024-04-01",
        "recipient_name": None,
        "items": [
            {
                "subject": "150202",
                "purpose": "reminder:SC-MEET-LOCAL",
                "step": "remind-5",
                "period": "2024-Q1",
                "mail_subject": "【提醒】全体会议（2024年第一季度）将于2024年3月29日到期",
            }
        ],
    },
    "calendar_missing": {
        "recipient_name": "李四",
        "year": 2027,
        "stage": "12-01",
        "overdue": False,
        "message": "…",
        "holidays_file": "config/holidays.yaml",
        "covered_until": 2026,
        "package": "chinesecalendar 1.11.0",
    },
    "task_failure": {
        "dag_id": "safegov_monthly",
        "dag_title": "月度考核",
        "run_id": "scheduled__2024-04-01",
        "task_id": "sc-meet-local",
        "try_number": 3,
        "failed_at": "2024年4月8日 09:13（北京时间）",
        "failed_at_en": "April 8, 2024 09:13 (Beijing time)",
        "error": "数据库连接失败",
        "recipient_name": None,
    },
}
RECIPIENTS = {
    "reminder": "L-150102-PS",
    "blacklist_notified": f"enterprise:{ENT_A}",
    "case_enforcement": f"enterprise:{ENT_A}",
    "case_penalty_recommendation": f"enterprise:{ENT_A}",
}
# Codes with a name in the seeded database: never shown alone.
CODES = {"150102": "新城区", "150202": "东河区", "150200": "包头市", "L-150102-PS": "张三", ENT_B: "东河化工有限公司"}


@pytest.fixture(scope="module")
def names(tmp_path_factory):
    from safegov.db.engine import make_engine, migrate

    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('words') / 'c.db'}")
    migrate(engine)
    seed(engine)
    with Session(engine) as s:
        yield Names.load(s, [(RECIPIENTS.get(t, "office:150200"), c) for t, c in CONTEXTS.items()])
    engine.dispose()


def test_every_template_has_a_producer_context():
    assert set(CONTEXTS) == set(TEMPLATES)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("template", TEMPLATES)
def test_every_mail_reads_plainly(names, template, lang):
    subject, text, html = render(template, CONTEXTS[template], lang, names=names, recipient=RECIPIENTS.get(template))
    codes = {k: v for k, v in CODES.items() if template != "blacklist_notified"}
    assert problems(subject, lang, codes=codes) == []
    assert problems(text, lang, codes=codes) == []
    assert problems(html, lang, codes=codes, html=True) == []


def test_a_strict_template_fails_on_a_value_no_one_gives():
    from jinja2 import UndefinedError

    from safegov.notification.outbox import _env

    with pytest.raises(UndefinedError):
        _env().from_string("{{ no_such_value }}").render({})


@pytest.mark.parametrize(
    "recipient, recipient_name, greeting",
    [
        (f"enterprise:{ENT_A}", "新城煤业有限公司", "新城煤业有限公司："),  # an enterprise: no 同志
        (ENT_A, "新城煤业有限公司（H-1）", "新城煤业有限公司："),  # a hazard reminder to its enterprise
        ("L-150102-PS", None, "张三同志："),  # a leader by name from the directory
        ("office:150200", None, "您好："),  # an office without a director on file
    ],
)
def test_the_greeting_fits_the_recipient(names, recipient, recipient_name, greeting):
    ctx = {**CONTEXTS["reminder"], "recipient_name": recipient_name}
    _, text, html = render("reminder", ctx, "zh", names=names, recipient=recipient)
    assert text.startswith(greeting) and f"<p>{greeting}</p>" in html
    assert "有限公司同志" not in text


@pytest.mark.parametrize(
    "days_left, says",
    [(5, "还有5个工作日"), (1, "还有1个工作日"), (0, "今天到期")],
)
def test_the_reminder_says_the_true_time_left(names, days_left, says):
    _, text, _ = render("reminder", {**CONTEXTS["reminder"], "days_left": days_left}, "zh", names=names)
    assert says in text and "2024年3月29日" in text and "2024-03-29" not in text


def test_a_notice_gives_counts_and_reason_in_words(names):
    _, text, _ = render("notice", CONTEXTS["notice"], "zh", names=names, recipient="L-150102-PS")
    # The counts come from the evaluation (the case carries none); the reason in words.
    assert "应完成1次，已计入0次" in text and "原因：本期无报送记录" in text and "期间：2024年2月" in text
    assert "新城区未按" in text and "150102" not in text


def test_a_case_names_persons_and_units(names):
    _, text, _ = render("case_interview", CASE, "zh", names=names)
    assert "涉及人员：张三" in text and "拟由包头市安委会" in text and "东河区连续或多次" in text
    assert "事由：连续2期未履职" in text


@pytest.mark.parametrize(
    "why, words",
    [
        ("a miss", "本期未履职"),
        ("2 consecutive misses", "连续2期未履职"),
        ("3 misses in 12 months", "12个月内3次未履职"),
        ("a miss while interview 2024-03 is open", "约谈（2024年3月）后仍未履职"),
        ("major hazard not rectified by its deadline", "重大事故隐患逾期未整改"),
        ("a second larger accident within 6 months of ACC-1", "6个月内再次发生较大生产安全事故（前次：ACC-1）"),
        ("late_report, concealed", "迟报、瞒报"),
    ],
)
def test_the_grounds_of_a_case_in_words(why, words):
    assert why_words(why) == words


def test_reminders_queued_the_day_before_the_due_date_say_one_day():
    """The stage ``remind-5`` caught up on the last working day before the due date states
    the time left from the reminder's own date, not the stage's 5 days."""
    from safegov.notification.reminders import _item

    class D:
        def office(self, unit, day):
            return None

    ob = type(
        "Ob",
        (),
        {
            "id": "X",
            "title": "t",
            "article": ("四",),
            "quota": 1,
            "evidence": type("E", (), {"record_type": "meeting"})(),
        },
    )()
    s = {"subject_id": "150102", "subject_name": "新城区", "unit_code": "150102", "recipient": "r", "email": None}
    item = _item(ob, s, "2024-Q1", dt.date(2024, 3, 29), 5, 0, D(), False, dt.date(2024, 3, 28))
    assert item["context"]["days_left"] == 1 and item["step"] == "remind-5"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_notices_of_real_cases_read_plainly(tmp_path, lang):
    """The seeded cases (a notice, an interview, an accident's reporting violation) with the
    contexts their real producer gives (``cases.case_mail_items``), one mail per recipient."""
    from sqlalchemy import select

    from safegov.accountability.cases import CaseDirectory, case_mail_items
    from safegov.db.engine import make_engine, migrate
    from safegov.db.models import Case

    engine = make_engine(f"sqlite:///{tmp_path / 'c.db'}")
    migrate(engine)
    seed(engine)
    with Session(engine) as s:
        directory = CaseDirectory(s)
        items = [it for case in s.scalars(select(Case).order_by(Case.id)) for it in case_mail_items(case, directory)]
        names = Names.load(s, [(it["recipient"], it["context"]) for it in items])
    engine.dispose()
    # (the seeded notice has nobody to address: no persons, no office on file)
    assert {it["template"] for it in items} >= {"case_interview", "case_reporting_violation"}
    for it in items:
        subject, text, html = render(it["template"], it["context"], lang, names=names, recipient=it["recipient"])
        for shown, is_html in ((subject, False), (text, False), (html, True)):
            assert problems(shown, lang, codes=CODES, html=is_html) == [], (it["template"], it["recipient"])
