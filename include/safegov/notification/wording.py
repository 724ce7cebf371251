"""The words of an email (邮件用语): names for codes, dates in Chinese, reasons in words.

Callers queue a context of codes and ISO dates (``subject_id``, ``persons`` as leader ids,
``period`` keys, ``reason`` codes, a case's English ``why``). ``mail_words`` turns it into
what the templates read: every unit, person and enterprise by name, periods and dates as
``2024年3月`` / ``2024年4月8日``, counts from the evaluation, the reason and the case's
grounds in words, and a greeting fit for the recipient — ``王五同志：`` for a person, the
enterprise's own name for an enterprise (never "…有限公司同志"), ``您好：`` for an office.

The templates render with ``StrictUndefined``: every name they read is one of
``CONTEXT_KEYS`` (None when the mail has no such fact), so a misspelt or forgotten value
fails the template tests instead of printing blank.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from safegov.core.grades import GRADE_NAMES
from safegov.core.words import fmt_date, fmt_period, purpose_words, step_words, word
from safegov.evaluation.reasons import reason_zh

# Every name a mail template may read. The caller's context provides some; ``mail_words`` the rest.
CONTEXT_KEYS = (
    "lang",
    "greeting",
    "recipient_name",
    "ref",
    # obligations and reminders
    "obligation_id",
    "obligation_title",
    "article",
    "subject_id",
    "subject_name",
    "period",
    "period_words",
    "due_on",
    "due_on_words",
    "days_left",
    "offset",
    "required",
    "counted",
    "missing",
    "record_type",
    "evidence_label",
    "reason",
    "reason_words",
    # cases
    "case_id",
    "case_kind",
    "kind_words",
    "rule_id",
    "rule_words",
    "persons",
    "persons_words",
    "deciding_unit",
    "deciding_unit_name",
    "unit_code",
    "unit_name",
    "why_words",
    "reason_text",
    "accident_id",
    "hazard_id",
    "grade",
    "grade_zh",
    "with_discipline",
    "violation",
    "violation_zh",
    "opened_on_words",
    "details",
    # blacklist
    "enterprise_id",
    "enterprise_name",
    "trigger",
    "trigger_ref",
    "objection_deadline",
    "objection_deadline_words",
    "scopes",
    # approval reminder, digest
    "cases",
    "items",
    "office",
    "office_name",
    "on",
    "on_words",
    "waited_working_days",
    # calendar warning, task failure
    "year",
    "overdue",
    "holidays_file",
    "covered_until",
    "package",
    "stage",
    "message",
    "dag_id",
    "dag_title",
    "run_id",
    "task_id",
    "try_number",
    "failed_at",
    "failed_at_en",
    "error",
)

_POST_RE = re.compile(r"^(?P<unit>\d{6}):(?P<role>[a-z_]+)$")


@dataclass
class Names:
    """Names of the units, leaders, departments and enterprises a batch of mails mentions,
    and the counts of the evaluations its notices are about (one query per table)."""

    units: dict[str, str] = field(default_factory=dict)
    leaders: dict[str, str] = field(default_factory=dict)
    departments: dict[str, str] = field(default_factory=dict)
    enterprises: dict[str, str] = field(default_factory=dict)
    counts: dict[tuple[str, str, str], tuple[int, int]] = field(default_factory=dict)
    rules: dict[str, str] = field(default_factory=dict)  # obligation and accountability rule titles

    @classmethod
    def load(cls, session: Session, contexts: Iterable[tuple[str, dict[str, Any]]]) -> Names:
        """The names the (recipient, context) pairs need."""
        from safegov.db.models import Evaluation

        ids: set[str] = set()
        triples: set[tuple[str, str, str]] = set()
        for recipient, ctx in contexts:
            ids.add(str(recipient).removeprefix("enterprise:"))
            for key in ("subject_id", "enterprise_id", "recipient"):
                if ctx.get(key):
                    ids.add(str(ctx[key]))
            ids.update(str(p) for p in ctx.get("persons") or [])
            for c in ctx.get("cases") or []:
                ids.add(str(c.get("subject_id")))
                ids.update(str(p) for p in c.get("persons") or [])
            for i in ctx.get("items") or []:
                ids.add(str(i.get("subject")))
            if ctx.get("obligation_id") and ctx.get("case_id") is not None and ctx.get("counted") is None:
                triples.add((ctx["obligation_id"], str(ctx["subject_id"]), str(ctx["period"])))
        names = cls.of(session, ids)
        keys = sorted(triples)
        for i in range(0, len(keys), 300):
            q = select(
                Evaluation.obligation_id,
                Evaluation.subject_id,
                Evaluation.period,
                Evaluation.counted,
                Evaluation.required,
            ).where(tuple_(Evaluation.obligation_id, Evaluation.subject_id, Evaluation.period).in_(keys[i : i + 300]))
            for ob, sid, period, counted, required in session.execute(q):
                names.counts[(ob, sid, period)] = (counted, required)
        return names

    @classmethod
    def of(cls, session: Session, ids: Iterable[Any]) -> Names:
        """Every unit and rule title, and the leaders, enterprises and departments among ``ids``."""
        from safegov.db.models import Department, Enterprise, Leader, Unit
        from safegov.register.obligations import get_register

        register = get_register()
        names = cls(
            units=dict(session.execute(select(Unit.code, Unit.name)).all()),
            rules={e.id: e.title for e in [*register.obligations, *register.accountability_rules]},
        )
        wanted = sorted({str(i) for i in ids if i})
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            for model, key in ((Leader, Leader.leader_id), (Enterprise, Enterprise.enterprise_id)):
                found = dict(session.execute(select(key, model.name).where(key.in_(chunk))).all())
                (names.leaders if model is Leader else names.enterprises).update(found)
            names.departments.update(
                session.execute(
                    select(Department.department_id, Department.name).where(Department.department_id.in_(chunk))
                ).all()
            )
        return names

    def unit(self, code: Any) -> str | None:
        return self.units.get(str(code)) if code else None

    def person(self, pid: Any, lang: str = "zh") -> str:
        """A leader by name; a post (``150102:party_secretary``) as 新城区党委书记; a plain name as it is."""
        text = str(pid)
        if text in self.leaders:
            return self.leaders[text]
        m = _POST_RE.match(text)
        if m:
            unit = self.unit(m["unit"]) or m["unit"]
            return f"{unit} {word(m['role'], lang)}" if lang == "en" else f"{unit}{word(m['role'], lang)}"
        return text

    def subject(self, kind: str | None, sid: Any, ctx: dict[str, Any], lang: str = "zh") -> str:
        """The subject of a mail by name: a unit, a post, a department, an enterprise, or an
        event named by its kind, id and enterprise."""
        text = str(sid)
        en = lang == "en"
        if kind in ("post",) or _POST_RE.match(text):
            return self.person(text, lang)
        if kind == "unit" or (kind is None and text in self.units):
            return self.units.get(text, text)
        if kind == "department" or text in self.departments:
            return self.departments.get(text, text)
        if kind == "enterprise" or text in self.enterprises:
            return self.enterprises.get(text, text)
        if kind in ("hazard", "accident", "ticket"):
            owner = self.enterprises.get(str(ctx.get("enterprise_id"))) or self.unit(ctx.get("unit_code"))
            label = f"{word(kind, lang)} {text}" if en else f"{word(kind, lang)}（{text}）"
            return f"{owner}: {label}" if owner and en else f"{owner}{label}" if owner else label
        return text


def why_words(why: str | None, lang: str = "zh") -> str:
    """The grounds of a case (``details.why``, written in English by the ladder and the
    accountability rules) in words."""
    if not why:
        return ""
    if lang == "en":
        return why
    patterns = (
        (r"a miss", lambda m: "本期未履职"),
        (r"(\d+) consecutive misses", lambda m: f"连续{m[1]}期未履职"),
        (r"(\d+) misses in (\d+) months", lambda m: f"{m[2]}个月内{m[1]}次未履职"),
        (r"a miss while interview (\S+) is open", lambda m: f"约谈（{fmt_period(m[1])}）后仍未履职"),
        (r"major hazard not rectified by its deadline", lambda m: "重大事故隐患逾期未整改"),
        (r"major hazard still not rectified", lambda m: "重大事故隐患经执法后仍未整改"),
        (r"hazard not removed (\d+) days after enforcement", lambda m: f"执法决定作出{m[1]}日后仍拒不消除事故隐患"),
        (r"a (\w+) \(.*\) accident in the county", lambda m: f"旗县发生{GRADE_NAMES.get(m[1], m[1])}生产安全事故"),
        (r"a (\w+) accident in the league/city", lambda m: f"盟市发生{GRADE_NAMES.get(m[1], m[1])}生产安全事故"),
        (
            r"a second (\w+) accident within (\d+) months of (\S+)",
            lambda m: f"{m[2]}个月内再次发生{GRADE_NAMES.get(m[1], m[1])}生产安全事故（前次：{m[3]}）",
        ),
        (r"(\w+) accident (\S+)", lambda m: f"发生{GRADE_NAMES.get(m[1], m[1])}生产安全事故（{m[2]}）"),
        (r"no longer missed", lambda m: "已补报，不再未履职"),
    )
    for pattern, say in patterns:
        m = re.fullmatch(pattern, why.strip())
        if m:
            return say(m)
    # A list of reason codes (a reporting violation: ``late_report, concealed``).
    return reason_zh(why)


def reason_words(reason: str | None, lang: str = "zh") -> str:
    """An evaluation's reason codes in words (``no_records`` → 本期无报送记录)."""
    if not reason:
        return ""
    return reason.replace("_", " ") if lang == "en" else reason_zh(reason)


def greeting(recipient: str | None, recipient_name: str | None, names: Names, lang: str) -> str:
    """The salutation: an enterprise by its name, a person as 同志, an office or no name 您好."""
    rid = str(recipient or "").removeprefix("enterprise:")
    if rid and rid in names.enterprises:
        name = names.enterprises[rid]
        return f"To {name}," if lang == "en" else f"{name}："
    if recipient_name:
        return f"Dear {recipient_name}," if lang == "en" else f"{recipient_name}同志："
    return "Dear colleague," if lang == "en" else "您好："


def mail_words(
    template: str,
    context: dict[str, Any],
    lang: str,
    *,
    names: Names | None = None,
    recipient: str | None = None,
) -> dict[str, Any]:
    """The full template context of one mail (every key of ``CONTEXT_KEYS``)."""
    names = names or Names()
    ctx: dict[str, Any] = dict.fromkeys(CONTEXT_KEYS)
    ctx.update(context)
    ctx["lang"] = lang
    details = ctx.get("details") or {}
    ctx["details"] = details
    en = lang == "en"
    kind = ctx.get("subject_kind")
    if ctx.get("subject_id") is not None and not ctx.get("subject_name"):
        ctx["subject_name"] = names.subject(kind, ctx["subject_id"], ctx, lang)
    ctx["period_words"] = fmt_period(ctx.get("period"), lang)
    ctx["due_on_words"] = fmt_date(ctx.get("due_on"), lang)
    ctx["opened_on_words"] = fmt_date(ctx.get("opened_on"), lang)
    ctx["objection_deadline_words"] = fmt_date(ctx.get("objection_deadline"), lang)
    ctx["on_words"] = fmt_date(ctx.get("on"), lang)
    if ctx.get("counted") is None and ctx.get("obligation_id"):
        found = names.counts.get((ctx["obligation_id"], str(ctx.get("subject_id")), str(ctx.get("period"))))
        if found:
            ctx["counted"], ctx["required"] = found
    if ctx.get("required") is not None and ctx.get("counted") is not None:
        ctx["missing"] = max(int(ctx["required"]) - int(ctx["counted"]), 0)
    ctx["reason_words"] = reason_words(details.get("reason") or ctx.get("reason"), lang)
    ctx["why_words"] = why_words(details.get("why"), lang) if details.get("why") else ctx["reason_words"]
    ctx["case_kind"] = ctx.get("case_kind") or ctx.get("kind")
    ctx["kind_words"] = word(ctx["case_kind"], lang) if ctx["case_kind"] else None
    ctx["rule_words"] = ctx.get("obligation_title") or names.rules.get(str(ctx.get("rule_id"))) or ctx.get("rule_id")
    ctx["persons_words"] = [names.person(p, lang) for p in ctx.get("persons") or []]
    ctx["unit_name"] = ctx.get("unit_name") or names.unit(ctx.get("unit_code"))
    ctx["deciding_unit_name"] = ctx.get("deciding_unit_name") or names.unit(ctx.get("deciding_unit"))
    if ctx.get("enterprise_id") and not ctx.get("enterprise_name"):
        ctx["enterprise_name"] = names.enterprises.get(str(ctx["enterprise_id"]))
    grade = ctx.get("grade") or details.get("grade")
    ctx["grade"] = grade
    ctx["grade_zh"] = GRADE_NAMES.get(grade) if grade else None
    violations = details.get("violations")
    if violations:
        ctx["violation"] = ", ".join(v.replace("_", " ") for v in violations)
        ctx["violation_zh"] = reason_zh(",".join(violations))
    ctx["accident_id"] = ctx.get("accident_id") or details.get("accident_id")
    ctx["hazard_id"] = ctx.get("hazard_id") or details.get("hazard_id")
    ctx["office_name"] = ctx.get("office_name") or names.unit(ctx.get("office"))
    ctx["cases"] = [_case_line(c, names, lang) for c in ctx.get("cases") or []]
    ctx["items"] = [
        {
            **i,
            "subject_words": names.subject(None, i.get("subject"), {}, lang),
            "purpose_words": purpose_words(i.get("purpose"), lang),
            "step_words": step_words(i.get("step"), lang),
            "period_words": fmt_period(i.get("period"), lang),
        }
        for i in ctx.get("items") or []
    ]
    if ctx.get("recipient_name") is None and recipient:
        rid = str(recipient).removeprefix("enterprise:")
        ctx["recipient_name"] = names.enterprises.get(rid) or names.leaders.get(rid)
    if template == "task_failure" and ctx.get("recipient_name"):
        # Operators are named by their duty (值班甲), not as 同志.
        ctx["greeting"] = f"{ctx['recipient_name']}," if en else f"{ctx['recipient_name']}："
    else:
        ctx["greeting"] = greeting(recipient or ctx.get("recipient"), ctx.get("recipient_name"), names, lang)
    ctx["ref"] = ctx.get("ref") or (f"{'case' if en else '案件'} {ctx['case_id']}" if ctx.get("case_id") else "")
    return ctx


def _case_line(c: dict[str, Any], names: Names, lang: str) -> dict[str, Any]:
    """One case of an approval reminder, in words."""
    return {
        **c,
        "kind_words": word(c.get("case_kind") or c.get("kind"), lang),
        "subject_words": names.subject(c.get("subject_kind"), c.get("subject_id"), c, lang),
        "period_words": fmt_period(c.get("period"), lang),
        "opened_on_words": fmt_date(c.get("opened_on"), lang),
        "rule_words": c.get("obligation_title") or names.rules.get(str(c.get("rule_id"))) or c.get("rule_id"),
    }
