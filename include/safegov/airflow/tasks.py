"""Task callables and asset plumbing shared by the DAG files, so each DAG file stays a short wiring sheet.

The DAG files import this module at parse time, so its top level imports only light
things (pendulum, the Airflow SDK's Asset, ``safegov.core``). Everything that touches a
database, GX or SendGrid is imported inside the task callables. What a task knows about its
run (period, as-of moment, historical flag, run id) comes from :class:`RunContext`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import pendulum
from airflow.sdk import Asset, AssetAlias

from safegov.airflow.context import RunContext, as_of_for, local, now
from safegov.core.errors import SafegovError
from safegov.core.periods import Cadence, CalendarRangeError, Period, period_of
from safegov.core.progress import LogProgress
from safegov.core.settings import get_settings
from safegov.devtools.faults import maybe_pause

if TYPE_CHECKING:  # the DAG files import this module: the domain loads in the task, not at parse
    from safegov.notification.wording import Names

log = logging.getLogger(__name__)

TIMEZONE = "Asia/Shanghai"
START_DATE = pendulum.datetime(2017, 2, 1, tz=TIMEZONE)  # the decision took effect 2017-01-26
OWNER = "safegov"
# The DAGs as the operators' alert emails name them (people read Chinese; ids are for machines).
DAG_TITLES = {
    "safegov_ingest": "报送文件入库",
    "safegov_monthly": "月度履职评估",
    "safegov_quarterly": "季度履职评估",
    "safegov_half_yearly": "半年履职评估",
    "safegov_yearly": "年度履职评估",
    "safegov_events": "事件类履职评估",
    "safegov_late_data": "迟到数据重新评估",
    "safegov_escalation": "问责升级与审批",
    "safegov_notify": "每日提醒与邮件发送",
    "safegov_bulletin": "月度信息通报起草",
    "safegov_history_review": "历史案件批量复核",
}


def alert_operators(context: Mapping[str, Any]) -> None:
    """``on_failure_callback`` of every task: one email per operator per failed DAG run
    (``safegov.notification.operator_alerts``), sent at once."""
    from safegov.notification.mail import get_mailer
    from safegov.notification.operator_alerts import TaskFailure, queue_failure_alert
    from safegov.notification.outbox import deliver

    ti = context["ti"]
    exc = context.get("exception")
    run = RunContext.of(context)
    at = now()
    failure = TaskFailure(
        dag_id=ti.dag_id,
        dag_title=DAG_TITLES[ti.dag_id],
        run_id=run.run_id,
        task_id=ti.task_id,
        try_number=ti.try_number,
        error=f"{type(exc).__name__}: {exc}" if exc is not None else "（Airflow 未给出异常）",
        at=at,
        historical=run.historical,
    )
    keys = queue_failure_alert(engine(), failure)
    log.error("task %s of %s failed: operators alerted (%s new)", ti.task_id, run.run_id, len(keys))
    if keys:
        deliver(engine(), get_mailer(), now=at, keys=keys)


DEFAULT_ARGS: dict[str, Any] = {
    "owner": OWNER,
    "retries": 2,
    # SAFEGOV_TASK_RETRY_DELAY (default 3 minutes): long enough for a restarted database
    # or mail server to come back; the distributed tests shorten it.
    "retry_delay": dt.timedelta(seconds=get_settings().task_retry_delay_seconds),
    "retry_exponential_backoff": True,
    # after the last retry: the operators hear of it (retries themselves are not alerts)
    "on_failure_callback": alert_operators,
}

RECORDS_URI = "safegov://records/{record_type}"
EVALUATIONS = Asset("safegov://evaluations", group="safegov")
RECORDS_ALIAS = AssetAlias("safegov-records")
# Emitting through an alias lets a task announce evaluations only when it changed some.
EVALUATIONS_ALIAS = AssetAlias("safegov-evaluations")
# Record types whose arrival can change an event-driven verdict (hazard/accident/ticket
# rules, the training reviews of liability accidents 〔十四〕 and the one-off milestones).
# accident_report: the hops of an accident 〔十五〕 (ACCIDENT-REPORT-CHAIN).
EVENT_RECORD_TYPES = ("accident", "accident_report", "hazard", "complaint", "milestone", "review")
# Each signed head of the audit chain (存证锚点), published outside the compliance database.
AUDIT_CHECKPOINTS = Asset("safegov://audit/checkpoint", group="safegov")


def record_asset(record_type: str) -> Asset:
    return Asset(RECORDS_URI.format(record_type=record_type), group="safegov")


def all_record_types() -> list[str]:
    from safegov.register.records import RECORD_TYPES

    return sorted(RECORD_TYPES)


def engine():
    from safegov.db.engine import get_engine

    return get_engine()


def register():
    from safegov.register.obligations import get_register

    return get_register()


def month_range(period: Period) -> tuple[str, str]:
    """First and last month keys of a period: the range escalation looks at."""
    return period.first.strftime("%Y-%m"), period.last.strftime("%Y-%m")


def max_grace(cadence: Cadence | str) -> int:
    graces = [ob.grace_working_days for ob in register().by_cadence(cadence)]
    return max(graces, default=5)


# --------------------------------------------------------------------------- asset events


def triggering_events(context: Mapping[str, Any]) -> list[Any]:
    """The asset events that triggered this run, once each (aliases are skipped)."""
    accessor = context.get("triggering_asset_events") or {}
    events: list[Any] = []
    for key in list(accessor):
        if isinstance(key, AssetAlias):
            continue
        events.extend(accessor[key])
    return events


def file_ids_of(events: Iterable[Any]) -> list[int]:
    ids: set[int] = set()
    for event in events:
        extra = getattr(event, "extra", None) or {}
        for fid in extra.get("file_ids") or ():
            ids.add(int(fid))
    return sorted(ids)


def evaluation_ranges_of(events: Iterable[Any]) -> list[tuple[str, str, bool]]:
    """The month ranges carried by ``safegov://evaluations`` events: (from, to, historical).

    Live events and backfill (historical) events are united separately, live first: a batch
    mixing a backfill with a live run escalates the live range as live (its cases await
    approval and send notices) and the history as history (no approval, no email) — one
    union would either silence the live cases or wake up the whole history.
    """
    spans: dict[bool, tuple[str, str]] = {}
    for event in events:
        extra = getattr(event, "extra", None) or {}
        if "from" not in extra or "to" not in extra:
            continue
        historical = bool(extra.get("historical"))
        lo, hi = spans.get(historical, (extra["from"], extra["to"]))
        spans[historical] = (min(lo, extra["from"]), max(hi, extra["to"]))
    return [(*spans[h], h) for h in (False, True) if h in spans]


def range_of_touched(touched: Iterable[Mapping[str, Any]]) -> tuple[str, str] | None:
    days = [t["record_date"] for t in touched if t.get("record_date")]
    if not days:
        return None
    days = [d if isinstance(d, dt.date) else dt.date.fromisoformat(str(d)[:10]) for d in days]
    return min(days).strftime("%Y-%m"), max(days).strftime("%Y-%m")


def jsonable(value: Any) -> Any:
    """A value as plain JSON (XCom and asset-event extras must be JSON)."""
    return json.loads(json.dumps(value, default=str))


# --------------------------------------------------------------------------- task callables


def evaluate_obligation(obligation_id: str, cadence: str, grace_working_days: int, **context) -> dict:
    """Evaluate one obligation for the run's period (a periodic DAG's task)."""
    from safegov.evaluation.engine import evaluate_period

    run = RunContext.of(context)
    period = run.period(cadence)
    ob = register().get(obligation_id)
    try:
        as_of = as_of_for(period, min(ob.grace_working_days, grace_working_days))
        unknown = None
    except CalendarRangeError as exc:
        # The grace end lies in a year not entered yet (a manual or backfill run: the
        # timetable schedules none). The rows are written pending (calendar_unknown) so the
        # dashboard shows them, then the task fails naming the year: never a quiet success.
        as_of, unknown = run.as_of, exc
    log.info(
        "evaluating %s for %s as of %s (historical=%s)", obligation_id, period.key, as_of.isoformat(), run.historical
    )
    maybe_pause("evaluate")  # fault-injection point of the distributed tests; no-op otherwise
    counts = evaluate_period(
        engine(), register(), obligation_id, period.key, as_of=as_of, run_id=run.run_id, historical=run.historical
    )
    if unknown is not None:
        log.error("%s %s：%s 行保持待定（calendar_unknown）：%s", obligation_id, period.key, counts["pending"], unknown)
        raise unknown
    return jsonable(counts)


def announce_evaluations(cadence: str, **context) -> dict:
    """Emit ``safegov://evaluations`` with the month range the run decided."""
    run = RunContext.of(context)
    period = run.period(cadence)
    first, last = month_range(period)
    extra = {"from": first, "to": last, "period": period.key, "cadence": str(cadence), "historical": run.historical}
    context["outlet_events"][EVALUATIONS].extra = extra
    return extra


def ingest_inbox(**context) -> dict:
    """Ingest every new file in the inbox as one batch, and announce it.

    One ``ingest_paths`` call: GX validates each record type once per slice of the batch
    (``SAFEGOV_INGEST_SLICE_ROWS`` rows, whole files), and the ingest core still keeps
    each file in its own transaction. A broken file is rejected
    (moved to ``rejected/`` with its reason) by the ingest core; should the call itself
    fail, each file left in the inbox is tried alone, and an *unexpected* error on one file
    is logged and the file left in place, so that it never stops the other files (the next
    run tries it again). One asset event per record type touched,
    ``safegov://records/<type>``, carries the submission file ids.
    """
    from sqlalchemy import select

    from safegov.core.settings import get_settings
    from safegov.db.engine import session_scope
    from safegov.db.models import RawRow, SubmissionFile
    from safegov.intake.pipeline import ingest_paths, scan_inbox

    settings = get_settings()
    inbox = settings.inbox
    inbox.mkdir(parents=True, exist_ok=True)
    eng = engine()
    rid = RunContext.of(context).run_id
    paths = scan_inbox(inbox)
    summary: dict[str, Any] = {"files": [], "errors": []}
    file_ids: set[int] = set()
    reports = []
    # The task log gets a progress line per stage every 10 s and the final figures.
    progress = LogProgress()
    try:
        reports = [ingest_paths(eng, paths, run_id=rid, move_to=inbox, progress=progress)] if paths else []
    except Exception:  # noqa: BLE001 - retried file by file below
        log.exception("ingesting the inbox as one batch failed; trying its files one at a time")
        progress = LogProgress()
        for path in scan_inbox(inbox):
            try:
                reports.append(ingest_paths(eng, [path], run_id=rid, move_to=inbox, progress=progress))
            except Exception as exc:  # noqa: BLE001 - one bad file must not stop the others
                log.exception("could not ingest %s; left in the inbox for the next run", path)
                summary["errors"].append({"name": path.name, "error": f"{type(exc).__name__}: {exc}"})
    progress.close()
    for f in (f for report in reports for f in report.files):
        fields = ("name", "record_type", "status", "rows_total", "accepted", "quarantined", "reason")
        summary["files"].append({k: getattr(f, k) for k in fields})
        if f.file_id is not None and f.rows_total:
            file_ids.add(int(f.file_id))
    # Which record types each file's rows belong to (a file may mix types through a
    # record_type column). The files of this run are also found by run id, so that a retry
    # whose first try crashed after loading still announces them.
    by_type: dict[str, set[int]] = {}
    with session_scope(eng) as session:
        if rid:
            file_ids.update(
                session.scalars(
                    select(SubmissionFile.id).where(SubmissionFile.run_id == rid, SubmissionFile.rows_total > 0)
                )
            )
        if file_ids:
            for fid, rtype in session.execute(
                select(RawRow.file_id, RawRow.record_type).where(RawRow.file_id.in_(sorted(file_ids))).distinct()
            ):
                by_type.setdefault(rtype, set()).add(int(fid))
    outlet = context["outlet_events"][RECORDS_ALIAS]
    for rtype in sorted(by_type):
        outlet.add(record_asset(rtype), extra={"file_ids": sorted(by_type[rtype])})
    summary["announced"] = {k: sorted(v) for k, v in sorted(by_type.items())}
    log.info(
        "ingested %d file(s), %d error(s); announced %s",
        len(summary["files"]),
        len(summary["errors"]),
        summary["announced"],
    )
    return jsonable(summary)


def touched_from_events(context: Mapping[str, Any]) -> tuple[list[int], list[dict[str, Any]]]:
    from safegov.db.engine import session_scope
    from safegov.intake.late import touched_for_files

    file_ids = file_ids_of(triggering_events(context))
    with session_scope(engine()) as session:
        touched = touched_for_files(session, file_ids)
    return file_ids, touched


def announce_touched(touched: list[dict[str, Any]], context: Mapping[str, Any]) -> dict | None:
    span = range_of_touched(touched)
    if span is None:
        return None
    extra = {"from": span[0], "to": span[1], "historical": False, "source": context["dag"].dag_id}
    context["outlet_events"][EVALUATIONS_ALIAS].add(EVALUATIONS, extra=extra)
    return extra


def evaluate_events_task(**context) -> dict:
    """Event-driven obligations (hazard deadlines, accident reports, 12350 tickets, milestones)."""
    from safegov.evaluation.engine import evaluate_events

    run = RunContext.of(context)
    counts = evaluate_events(engine(), register(), as_of=run.as_of, run_id=run.run_id, historical=run.historical)
    _, touched = touched_from_events(context)
    announce_touched(touched, context)
    return jsonable(counts)


def reevaluate_late_task(**context) -> dict:
    """Re-evaluate exactly the rows the triggering files touched (late data, corrections)."""
    from safegov.evaluation.engine import reevaluate_touched

    file_ids, touched = touched_from_events(context)
    if not touched:
        log.info("files %s touched no evaluable row", file_ids)
        return {"file_ids": file_ids, "touched": 0}
    run = RunContext.of(context)
    counts = reevaluate_touched(engine(), register(), touched, as_of=run.as_of, run_id=run.run_id)
    announce_touched(touched, context)
    return jsonable({"file_ids": file_ids, "touched": len(touched), "counts": counts})


def escalate_task(**context) -> dict:
    """Run the ladder and the accident, hazard and blacklist rules over the announced ranges
    (live, then historical), then list the cases this run opened that await approval."""
    from safegov.accountability.cases import cases_awaiting_approval
    from safegov.accountability.escalation import escalate
    from safegov.db.engine import session_scope

    run = RunContext.of(context)
    spans = evaluation_ranges_of(triggering_events(context))
    as_of = run.as_of
    if not spans:
        # A manual run without asset events: the last twelve months up to the run.
        last = period_of(as_of, Cadence.MONTHLY)
        first = period_of(as_of - dt.timedelta(days=365), Cadence.MONTHLY)
        spans = [(first.key, last.key, False)]
    maybe_pause("escalate")  # fault-injection point of the distributed tests; no-op otherwise
    result: dict[str, Any] = {"ranges": []}
    for lo, hi, historical in spans:
        with LogProgress() as progress:
            counts = escalate(
                engine(), register(), lo, hi, as_of=as_of, run_id=run.run_id, historical=historical, progress=progress
            )
        result["ranges"].append({"from": lo, "to": hi, "historical": historical, "counts": counts})
    with session_scope(engine()) as session:
        awaiting = cases_awaiting_approval(session, run_id=run.run_id)
        from safegov.notification.wording import Names

        names = Names.load(session, [("", a) for a in awaiting])
    result["case_ids"] = [int(a["case_id"]) for a in awaiting]
    # whose users the approval form is assigned to ("" for a case without one: refused there)
    result["deciding_units"] = sorted({str(a["deciding_unit"] or "") for a in awaiting})
    result["approval_body"] = approval_body(awaiting, names)
    return jsonable(result)


# How long an approval form waits for the deciding office: two working weeks, past the two
# stale-approval reminders (every 5 working days). Expiry fails the task (no default option:
# a case is never approved by the clock) and the operators are alerted; the cases stay
# awaiting approval, answerable with `safegov cases approve|reject`.
APPROVAL_RESPONSE_TIMEOUT = dt.timedelta(days=14)


def approvers(deciding_units: Iterable[str]) -> list[dict[str, str]]:
    """The Airflow users (HITLUser) who may answer the approval form: those mapped in
    config/dashboard_users.yaml to each deciding unit or to an office above it (a superior
    safety office may decide in its place, and sees its cases on the dashboard). A deciding
    unit with nobody mapped up its whole chain is refused by name (an unassigned form would
    let any user with DAG access decide)."""
    from safegov.org.units import parent_of
    from safegov.web.scope import load_dashboard_users, users_path

    path = users_path()
    users = load_dashboard_users(path).users
    names: set[str] = set()
    for unit in sorted(set(deciding_units)):
        if not unit:
            raise SafegovError("有待审批案件未记录决定单位，无法指派审批人")
        found: set[str] = set()
        office: str | None = unit
        while office is not None:
            found |= {user for user, code in users.items() if code == office}
            office = parent_of(office)
        if not found:
            raise SafegovError(
                f"决定单位 {unit} 及其上级在 {path} 中都没有登记用户，无法指派审批人：请登记后重跑该任务"
            )
        names |= found
    return [{"id": name, "name": name} for name in sorted(names)]


# The approval form's two answers (HITL options), in the words of the offices that give them.
APPROVE, REJECT = "批准", "驳回"
# The answers of forms asked before the options were Chinese (a form may wait 14 days).
APPROVE_ANSWERS = ([APPROVE], ["Approve"])


def approval_body(cases: list[Mapping[str, Any]], names: Names | None = None) -> str:
    """Markdown table of the cases for the approval form (案件待审批), in words: the kind,
    the rule by its title, subjects and persons by name, the period or the event, the date."""
    from safegov.core.words import fmt_date, word
    from safegov.notification.wording import Names

    if not cases:
        return "没有待审批的案件。"
    names = names or Names()
    lines = [
        f"**{len(cases)}件问责案件待审批。**选择“{APPROVE}”即正式立案并发送通知；"
        f"选择“{REJECT}”须填写理由，案件随即关闭。",
        "",
        "| 案件编号 | 问责方式 | 依据事项 | 对象 | 涉及人员 | 期间/事项 | 立案日期 |",
        "|---|---|---|---|---|---|---|",
    ]
    for c in cases:
        persons = c.get("persons") or []
        persons = persons if isinstance(persons, list | tuple) else str(persons).split(";")
        rule = str(c.get("rule_id"))
        lines.append(
            f"| {c.get('case_id')} | {word(c.get('kind'))} | {names.rules.get(rule, '')}（{rule}） | "
            f"{names.subject(c.get('subject_kind'), c.get('subject_id'), c)} | "
            f"{'、'.join(names.person(p) for p in persons if p) or '—'} | {_event_or_period(c)} | "
            f"{fmt_date(c.get('opened_on'))} |"
        )
    return "\n".join(lines)


def _event_or_period(c: Mapping[str, Any]) -> str:
    """A case's period in words, or the accident or hazard it is about."""
    from safegov.core.words import fmt_period, word

    for key, kind in (("accident_id", "accident"), ("hazard_id", "hazard")):
        if c.get(key) and c.get("period") == c.get(key):
            return f"{word(kind)} {c[key]}"
    return fmt_period(c.get("period"))


def responder(responded_by: Any) -> str:
    """Who answered a form, as recorded with the decision: the Airflow user's name, else id."""
    who = responded_by
    if isinstance(responded_by, Mapping):
        who = responded_by.get("name") or responded_by.get("id")
    return str(who or "airflow-ui")


def decide_task(
    case_ids: list[int],
    chosen: list[str],
    params_input: Mapping[str, Any] | None,
    responded_by: Any,
    responded_at: dt.datetime | None,
    context: Mapping[str, Any],
) -> dict:
    """Apply the office's decision from the HITL form to the listed cases."""
    from safegov.accountability.cases import decide_cases

    approve = list(chosen) in APPROVE_ANSWERS
    who = responder(responded_by)
    reason = (params_input or {}).get("reason") or None
    if not approve and not reason:
        reason = f"由{who}在 Airflow 审批表单中驳回"
    at = local(responded_at) if responded_at else RunContext.of(context).run_after
    changed = decide_cases(engine(), case_ids, approve=approve, decided_by=who, reason=reason, at=at)
    return {"approved" if approve else "rejected": list(case_ids), "changed": changed, "decided_by": who}


# --------------------------------------------------------------------------- history review

# The most cases the review form lists row by row (a month of a large backfill may hold more:
# the form then says how many it leaves out of the table; "all" still decides every listed id).
REVIEW_ROWS = 300


def list_unreviewed_task(**context) -> dict:
    """The review form's list: the month's (DAG param ``period``) unreviewed historical cases
    decided by the office (param ``office``) or an office under it, with the names people read."""
    from safegov.accountability.cases import unreviewed_cases
    from safegov.db.engine import session_scope
    from safegov.org.tree import UnitTree
    from safegov.reports.exports import with_names

    params = context.get("params") or {}
    period = str(params.get("period") or "")
    office = str(params.get("office") or "150000")
    tree = UnitTree.from_config()
    if office not in tree.names:
        raise SafegovError(f"office {office!r} is not a unit code of config/units.csv")
    units = tree.under(office)
    with session_scope(engine()) as session:
        rows, _columns = with_names(session, unreviewed_cases(session, period, units=units), ["unit_code", "persons"])
    for r in rows:
        r["deciding_name"] = tree.name(r["deciding_unit"])
    return jsonable(
        {
            "period": period,
            "office": office,
            "office_name": tree.name(office),
            "case_ids": [r["case_id"] for r in rows],
            "review_body": review_body(period, tree.name(office), rows),
        }
    )


def review_body(period: str, office_name: str, rows: list[Mapping[str, Any]]) -> str:
    """Markdown of the review form: the month's unreviewed cases by name (历史案件复核)."""
    from safegov.core.words import word  # the case kinds' words (a penalty recommendation 〔十八〕 too)

    if not rows:
        return f"{period}：{office_name}及下级没有未复核的历史案件。"
    lines = [
        f"**{period} 未复核的历史案件 {len(rows)} 件**（{office_name}及下级决定）。这些案件由历史回溯运行产生，"
        "当时是否已作处理无从得知，须由决定单位复核：*批准* 即记为已决定的问责（计入一票否决，不发邮件）；"
        "*驳回* 须写明理由。“案件编号”留空即处理下列全部案件，或填写其中部分编号（以逗号分隔）。",
        "",
        "| 案件编号 | 类型 | 单位 | 涉及人员 | 事由 | 期间/事项 | 决定单位 |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows[:REVIEW_ROWS]:
        lines.append(
            f"| {r['case_id']} | {word(r['kind'])} | "
            f"{r.get('unit_name') or r.get('unit_code') or ''} | {r.get('persons_names') or '（未登记）'} | "
            f"{r.get('why') or ''} | {r['period']} | {r.get('deciding_name') or ''} |"
        )
    if len(rows) > REVIEW_ROWS:
        lines.append(
            f"\n另有 {len(rows) - REVIEW_ROWS} 件未逐行列出（可用 safegov cases list --state unreviewed 查看）。"
        )
    return "\n".join(lines)


def chosen_case_ids(text: Any, listed: list[int]) -> list[int]:
    """The case ids the form's ``case_ids`` field names (blank: every listed case); an id not
    listed, or a word that is no id, is an error naming it (nothing is decided then)."""
    words = [w for w in str(text or "").replace("，", ",").replace("、", ",").replace(" ", ",").split(",") if w]
    if not words:
        return list(listed)
    bad = [w for w in words if not w.isdigit() or int(w) not in set(listed)]
    if bad:
        raise SafegovError(f"案件编号 {'、'.join(bad)} 不在本表单所列的案件中")
    return sorted({int(w) for w in words})


def review_history_task(
    listed: Mapping[str, Any],
    chosen: list[str],
    params_input: Mapping[str, Any] | None,
    responded_by: Any,
    responded_at: dt.datetime | None,
    context: Mapping[str, Any],
) -> dict:
    """Apply the office's answer to the review form: approve or reject all listed cases or the
    chosen ones, recording who decided (the Airflow user who answered) and when."""
    from safegov.accountability.cases import decide_historical
    from safegov.org.tree import UnitTree

    approve = list(chosen) in APPROVE_ANSWERS
    who = responder(responded_by)
    ids = chosen_case_ids((params_input or {}).get("case_ids"), [int(i) for i in listed.get("case_ids") or []])
    reason = (params_input or {}).get("reason") or None
    if not approve and not reason:
        reason = f"{who} 在 Airflow 历史案件复核表单中驳回"
    at = local(responded_at) if responded_at else RunContext.of(context).run_after
    units = UnitTree.from_config().under(str(listed["office"]))
    changed = decide_historical(
        engine(),
        str(listed["period"]),
        approve=approve,
        decided_by=who,
        reason=reason,
        at=at,
        case_ids=ids,
        units=units,
    )
    return {"approved" if approve else "rejected": ids, "changed": changed, "decided_by": who}


def deliver_task(**context) -> dict:
    """Send what the outbox holds (suppressed and already-sent rows are never sent)."""
    from safegov.notification.mail import get_mailer
    from safegov.notification.outbox import deliver

    with LogProgress() as progress:
        return jsonable(deliver(engine(), get_mailer(), now=now(), progress=progress))


def stale_approvals_task(**context) -> dict:
    """Remind the deciding offices of cases awaiting approval for more than 5 working days
    (one reminder per block of 5, so a re-run of the day queues nothing new)."""
    from safegov.accountability.cases import remind_stale_approvals

    run = RunContext.of(context)
    day = run.run_after.date()
    if run.historical:
        return {"on": day.isoformat(), "queued": 0, "skipped": "historical run"}
    return {"on": day.isoformat(), "queued": remind_stale_approvals(engine(), on=day, run_id=run.run_id)}


def reminders_task(**context) -> dict:
    """Queue the reminders due on the run's day (Asia/Shanghai)."""
    from safegov.notification.reminders import queue_reminders

    run = RunContext.of(context)
    day = run.run_after.date()
    n = queue_reminders(engine(), register(), on=day, run_id=run.run_id)
    return {"on": day.isoformat(), "queued": n}


def _sign_audit_chain(run_id: str):
    """Sign the audit chain's head now (``safegov.db.checkpoint``); None on an empty chain."""
    from safegov.db.checkpoint import load_key, write_checkpoint
    from safegov.db.engine import session_scope

    with session_scope(engine()) as session:
        return write_checkpoint(session, load_key(create=True), now(), run_id=run_id)


def checkpoint_audit_task(**context) -> dict | None:
    """Sign the audit chain's head and publish it as an asset event (``safegov://audit/checkpoint``)."""
    checkpoint = _sign_audit_chain(RunContext.of(context).run_id)
    if checkpoint is None:
        return None
    extra = checkpoint.as_extra()
    context["outlet_events"][AUDIT_CHECKPOINTS].extra = extra
    return extra


def calendar_watch_task(**context) -> dict:
    """From 1 November, warn the region's safety office once per stage while next year's
    holiday schedule is not entered (``safegov.notification.calendar_watch``)."""
    from safegov.notification.calendar_watch import queue_calendar_warning

    run = RunContext.of(context)
    return queue_calendar_warning(
        engine(), on=run.run_after.date(), created_at=run.run_after, run_id=run.run_id, historical=run.historical
    )


def bulletin_task(**context) -> Any:
    """Draft each safety office's monthly bulletin (信息通报) for the run's month, with the audit
    chain's head signed just before (the bulletin publishes it)."""
    from safegov.reports.bulletin import draft_bulletins

    run = RunContext.of(context)
    _sign_audit_chain(run.run_id)
    period = run.period(Cadence.MONTHLY)
    return jsonable(draft_bulletins(engine(), period.key))


def daily_events_task(**context) -> dict:
    """Daily sweep of the event obligations: a hazard's deadline or a ticket's 15 working days
    pass without any new record arriving, so time alone can turn them into misses."""
    from safegov.evaluation.engine import evaluate_events

    run = RunContext.of(context)
    counts = evaluate_events(engine(), register(), as_of=run.as_of, run_id=run.run_id, historical=run.historical)
    this_month = period_of(run.as_of, Cadence.MONTHLY)
    extra = {
        "from": this_month.previous().key,
        "to": this_month.key,
        "historical": False,
        "source": context["dag"].dag_id,
    }
    context["outlet_events"][EVALUATIONS_ALIAS].add(EVALUATIONS, extra=extra)
    return jsonable(counts)
