"""Monthly information-reporting bulletin drafts 〔十五〕 (安全生产信息通报, 草稿).

One draft per safety committee office — the region, each league/city, each county — for
one month, covering the office's own unit and every unit under it:

1. accidents by county (occurred in the month, Asia/Shanghai);
2. reporting violations: the month's evaluations of ``ACCIDENT-REPORT-TIMELY`` with reason
   ``late_report`` (迟报), ``under_graded`` (谎报/低报等级), ``grade_not_declared``
   (未报告事故等级) and ``concealed`` (瞒报); and of ``ACCIDENT-REPORT-CHAIN`` (missed or
   met_late) with the chain's reasons: ``omitted`` (漏报), hops missing or late, a department
   that did not tell its safety office at the same time, 较大涉险 not sent straight to the region;
3. obligations found missed in the month: evaluations ``missed`` whose grace ended in the
   month (their due date when they have no grace), e.g. the March bulletin reports the
   February meetings not held (grace ends early March). The bulletin is drafted at the
   start of the next month, when the month's own periods are still in grace;
4. cases opened in the month, by kind;
5. reconciliation (通报数字核对, 〔十五〕): the figures of the bulletin the office issued for the
   month (its ``bulletin`` record: accidents, late and concealed reports) against the accident
   records and evaluations, each difference listed in words with the accidents that explain
   it (known from another source than the county's own report, concealed);
6. the audit chain's latest signed checkpoint (数据存证), with the command that checks a
   database against it (``safegov.db.checkpoint``).

Units, posts, enterprises and departments are named as the registers name them, the code in
brackets after the name (新城煤业有限公司（9115…）); a reported accident by its enterprise, else
its county, the accident id in brackets. The CSV of figures keeps the codes.

Written as ``$SAFEGOV_DATA_DIR/bulletins/<period>/<unit_code>.{md,html,csv,docx}``; the
``.docx`` is the same draft as an official document (公文) laid out per GB/T 9704-2012
(``safegov.reports.official_document``), drawn from the same figures and tables. The
content depends only on the database (no "generated at" stamp), so re-drafting the same
month with the same data rewrites identical files.
"""

from __future__ import annotations

import datetime as dt
import io
import os
from collections import defaultdict
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

from sqlalchemy import Engine, and_, func, or_, select
from sqlalchemy.orm import Session

from safegov.core.errors import SafegovError
from safegov.core.periods import TZ, Cadence, add_working_days, parse_period
from safegov.db.checkpoint import Checkpoint
from safegov.db.checkpoint import latest as latest_checkpoint
from safegov.db.models import Accident, Bulletin, Case, Evaluation
from safegov.org.tree import UnitTree
from safegov.reports.exports import csv_writer
from safegov.reports.official_document import Heading, OfficialDocument, Paragraph, Table, chinese_date, render_docx

ACCIDENT_OBLIGATION = "ACCIDENT-REPORT-TIMELY"
VIOLATIONS = {
    "late_report": "迟报",
    "under_graded": "谎报（低报等级）",
    "grade_not_declared": "未报告事故等级",
    "concealed": "瞒报",
}
# 〔十五〕 the chain's reasons (ACCIDENT-REPORT-CHAIN, Decree 493 art. 10–11), in section 二 too.
CHAIN_OBLIGATION = "ACCIDENT-REPORT-CHAIN"
CHAIN_VIOLATIONS = {
    "omitted": "漏报",
    "forward_missing": "未逐级上报",
    "forward_late": "逐级上报超过时限",
    "office_not_told": "部门未向同级安委办报告",
    "not_simultaneous": "部门未同时向同级安委办报告",
    "direct_missing": "较大涉险未直报自治区",
    "direct_late": "较大涉险未第一时间直报自治区",
}
ALL_VIOLATIONS = VIOLATIONS | CHAIN_VIOLATIONS
KINDS = {
    "reminder": "提醒",
    "notice": "通知",
    "interview": "约谈",
    "admonishment": "诫勉谈话",
    "dual_interview": "双约谈",
    "reporting_violation": "迟报瞒报",
    "enforcement": "执法建议",
    "blacklist": "失信名单",
    "penalty_recommendation": "处罚建议",
}
LEVEL_NAMES = {"region": "自治区", "league": "盟市", "county": "旗县（市、区）"}


@dataclass
class Figures:
    """The figures of one office's bulletin."""

    unit_code: str
    unit_name: str
    period: str
    accidents_by_county: dict[str, dict[str, float]] = field(default_factory=dict)
    violations: dict[str, list[str]] = field(default_factory=lambda: {k: [] for k in ALL_VIOLATIONS})
    missed_by_obligation: dict[str, list[str]] = field(default_factory=dict)  # obligation → subject ids
    cases_by_kind: dict[str, int] = field(default_factory=dict)
    # The office's own issued bulletin for the month: (accidents, late, concealed), None: not issued.
    issued: tuple[int, int, int] | None = None
    # Accidents under the office known from another source than the county's report (漏报
    # candidates) and concealed ones: what explains a bulletin that counts fewer.
    not_from_unit: list[str] = field(default_factory=list)
    concealed: list[str] = field(default_factory=list)
    # The registry's names of the enterprises and departments the figures mention (code → name),
    # and where each reported accident happened (accident id → its enterprise, its county).
    names: dict[str, str] = field(default_factory=dict)
    accident_places: dict[str, tuple[str | None, str]] = field(default_factory=dict)

    @property
    def accidents_total(self) -> int:
        return int(sum(v["accidents"] for v in self.accidents_by_county.values()))

    @property
    def deaths_total(self) -> int:
        return int(sum(v["deaths"] for v in self.accidents_by_county.values()))


def _month(period_key: str):
    try:
        p = parse_period(period_key)
    except ValueError as exc:
        raise SafegovError(str(exc)) from None
    if p.cadence != Cadence.MONTHLY:
        raise SafegovError(f"bulletins are monthly: give a month like 2024-03, not {period_key!r}")
    return p


def collect(session: Session, period_key: str, tree: UnitTree) -> dict[str, Figures]:
    """Every office's figures for the month, from one pass over the month's rows."""
    month = _month(period_key)
    start = dt.datetime.combine(month.first, dt.time(), TZ)
    end = dt.datetime.combine(month.last + dt.timedelta(days=1), dt.time(), TZ)

    accidents = session.execute(
        select(
            Accident.unit_code,
            Accident.deaths,
            Accident.serious_injuries,
            Accident.direct_loss_10k_cny,
            Accident.accident_id,
            Accident.known_from,
            Accident.concealed,
        ).where(Accident.occurred_at >= start, Accident.occurred_at < end)
    ).all()
    b = Bulletin
    issued = session.execute(
        select(b.unit_code, b.accidents_reported, b.late_reports, b.concealed_reports).where(b.period == period_key)
    ).all()
    evals = session.execute(
        select(
            Evaluation.obligation_id,
            Evaluation.subject_id,
            Evaluation.period,
            Evaluation.reason,
            Evaluation.unit_code,
            func.coalesce(Evaluation.grace_ends_on, Evaluation.due_on),
        )
        .where(
            or_(
                Evaluation.status == "missed",
                and_(Evaluation.obligation_id == CHAIN_OBLIGATION, Evaluation.status == "met_late"),
            )
        )
        .where(
            or_(
                Evaluation.obligation_id.in_((ACCIDENT_OBLIGATION, CHAIN_OBLIGATION)),
                func.coalesce(Evaluation.grace_ends_on, Evaluation.due_on).between(month.first, month.last),
            )
        )
    ).all()
    cases = session.execute(
        select(Case.kind, Case.unit_code).where(Case.opened_on >= month.first, Case.opened_on <= month.last)
    ).all()

    offices = sorted(tree.names)
    # unit → the offices whose bulletin covers it (itself, its league, the region).
    covering: dict[str, list[str]] = defaultdict(list)
    for office in offices:
        for u in tree.under(office):
            covering[u].append(office)
    figs = {o: Figures(o, tree.name(o), period_key) for o in offices}

    for unit, deaths, injuries, loss, accident_id, known_from, concealed in accidents:
        for office in covering.get(unit, ()):
            if known_from not in (None, "", "unit"):
                figs[office].not_from_unit.append(accident_id)
            if concealed:
                figs[office].concealed.append(accident_id)
            row = figs[office].accidents_by_county.setdefault(
                unit, {"accidents": 0, "deaths": 0, "serious_injuries": 0, "direct_loss_10k_cny": 0.0}
            )
            row["accidents"] += 1
            row["deaths"] += deaths or 0
            row["serious_injuries"] += injuries or 0
            row["direct_loss_10k_cny"] += float(loss or 0)
    for obligation, subject, period, reason, unit, _decided_on in evals:
        if unit is None:
            continue
        if obligation in (ACCIDENT_OBLIGATION, CHAIN_OBLIGATION):
            if period != period_key:
                continue
            reasons = {r.strip() for r in (reason or "").replace(";", ",").split(",") if r.strip()}
            known = VIOLATIONS if obligation == ACCIDENT_OBLIGATION else CHAIN_VIOLATIONS
            for office in covering.get(unit, ()):
                for r in reasons & set(known):
                    figs[office].violations[r].append(subject)
            continue
        for office in covering.get(unit, ()):
            figs[office].missed_by_obligation.setdefault(obligation, []).append(subject)
    for kind, unit in cases:
        for office in covering.get(unit, ()):
            figs[office].cases_by_kind[kind] = figs[office].cases_by_kind.get(kind, 0) + 1
    for unit, n_accidents, n_late, n_concealed in issued:
        if unit in figs:
            figs[unit].issued = (n_accidents, n_late, n_concealed)
    for f in figs.values():
        f.not_from_unit.sort()
        f.concealed.sort()
        for k in f.violations:
            f.violations[k] = sorted(set(f.violations[k]))
        f.missed_by_obligation = {k: sorted(v) for k, v in sorted(f.missed_by_obligation.items())}
    names, places = _registry_names(session, figs.values())
    for f in figs.values():
        f.names, f.accident_places = names, places
    return figs


def _registry_names(session: Session, figs) -> tuple[dict[str, str], dict[str, tuple[str | None, str]]]:
    """The names of the enterprises and departments among the figures' subjects and the
    reported accidents' enterprises (``Names.of``, the mails' naming), and each reported
    accident's enterprise and county: a bulletin names an enterprise, never its bare code."""
    from safegov.notification.wording import Names

    accident_ids = sorted(
        {a for f in figs for ids in (*f.violations.values(), f.not_from_unit, f.concealed) for a in ids}
    )
    places: dict[str, tuple[str | None, str]] = {}
    for i in range(0, len(accident_ids), 500):
        q = select(Accident.accident_id, Accident.enterprise_id, Accident.unit_code).where(
            Accident.accident_id.in_(accident_ids[i : i + 500])
        )
        places.update({aid: (ent, unit) for aid, ent, unit in session.execute(q)})
    subjects = {s for f in figs for ss in f.missed_by_obligation.values() for s in ss}
    found = Names.of(session, subjects | {ent for ent, _ in places.values() if ent})
    return {**found.departments, **found.enterprises}, places


# --------------------------------------------------------------------------- rendering


def title(f: Figures) -> str:
    p = parse_period(f.period)
    return f"{f.unit_name}安全生产信息通报（{p.first.year}年{p.first.month}月）"


def _obligation_titles() -> dict[str, str]:
    from safegov.register.obligations import get_register

    return {o.id: o.title for o in get_register().obligations}


def _subject(s: str, tree: UnitTree, names: dict[str, str] | None = None) -> str:
    """A subject by name, its code in brackets: a unit, a post as 新城区党委书记, an enterprise
    or a department by its registry name (``names``). A code no register names stays as it is."""
    from safegov.core.words import word

    unit, _, role = s.partition(":")
    if role and unit in tree.names:
        return f"{tree.name(unit)}{word(role)}（{unit}）"
    if s in tree.names:
        return f"{tree.name(s)}（{s}）"
    return f"{names[s]}（{s}）" if names and s in names else s


def accident_party(accident_id: str, f: Figures, tree: UnitTree) -> str | None:
    """Who a reported accident is about in words: its enterprise by name, else its county
    (an accident of no registered enterprise); None for an accident the figures do not place."""
    if accident_id not in f.accident_places:
        return None
    enterprise, unit = f.accident_places[accident_id]
    if enterprise and enterprise in f.names:
        return f.names[enterprise]
    return tree.name(unit) if unit in tree.names else None


def accidents_named(ids: list[str], f: Figures, tree: UnitTree) -> str:
    """Reported accidents as 新城煤业有限公司（ACC-1）、…, the accident id in brackets."""
    return "、".join(f"{who}（{a}）" if (who := accident_party(a, f, tree)) else a for a in ids)


def accidents_table(f: Figures, tree: UnitTree) -> Table | None:
    """Section 一: the month's accidents by county; None when there were none."""
    if not f.accidents_by_county:
        return None
    rows = []
    for code in sorted(f.accidents_by_county):
        r = f.accidents_by_county[code]
        rows.append(
            (
                f"{tree.name(code)}（{code}）",
                str(int(r["accidents"])),
                str(int(r["deaths"])),
                str(int(r["serious_injuries"])),
                f"{r['direct_loss_10k_cny']:.1f}",
            )
        )
    header = ("旗县（市、区）", "事故起数", "死亡", "重伤", "直接经济损失（万元）")
    return Table(header, rows, frozenset({1, 2, 3, 4}))


def missed_table(f: Figures, tree: UnitTree) -> Table | None:
    """Section 三: the obligations found missed in the month, with up to ten subjects each."""
    if not f.missed_by_obligation:
        return None
    titles = _obligation_titles()
    rows = []
    for ob, subjects in f.missed_by_obligation.items():
        shown = "、".join(_subject(x, tree, f.names) for x in subjects[:10]) + ("等" if len(subjects) > 10 else "")
        rows.append((f"{titles.get(ob, '')}（{ob}）", str(len(subjects)), shown))
    return Table(("履职事项", "未履职数", "对象（前10）"), rows, frozenset({1}))


def cases_table(f: Figures) -> Table | None:
    """Section 四: the cases opened in the month, by kind."""
    if not f.cases_by_kind:
        return None
    rows = [(KINDS.get(kind, kind), str(f.cases_by_kind[kind])) for kind in sorted(f.cases_by_kind)]
    return Table(("类型", "件数"), rows, frozenset({1}))


# 〔十五〕 the issued bulletin's figures (``bulletin`` record) and their words, in its column order.
RECONCILED = ("accidents_reported", "late_reports", "concealed_reports")
RECONCILED_WORDS = ("事故起数", "迟报起数", "瞒报起数")


def _recorded(f: Figures) -> tuple[int, int, int]:
    """What the records say for the issued bulletin's three figures."""
    return f.accidents_total, len(f.violations["late_report"]), len(f.violations["concealed"])


def reconciliation(f: Figures, tree: UnitTree) -> list[str]:
    """Section 五: the office's issued bulletin against the accident records 〔十五〕, each
    difference in words, with the accidents that explain a shortfall (known from another
    source than the county's own report: 可能漏报; concealed: 瞒报)."""
    if f.issued is None:
        return ["本单位尚未报送本月事故信息通报，暂无法核对。"]
    diffs = [
        f"{label}通报{issued}起、事故记录{recorded}起，相差{abs(issued - recorded)}起"
        for label, issued, recorded in zip(RECONCILED_WORDS, f.issued, _recorded(f))
        if issued != recorded
    ]
    if not diffs:
        return ["本月已报送通报的事故起数、迟报起数、瞒报起数与事故记录一致。"]
    lines = ["本月已报送通报与事故记录不一致：" + "；".join(diffs) + "。"]
    if f.not_from_unit:
        named = accidents_named(f.not_from_unit, f, tree)
        lines.append(f"经其他渠道获知、属地未报告的事故（可能漏报）{len(f.not_from_unit)}起：{named}。")
    if f.concealed:
        lines.append(f"经核查认定瞒报的事故{len(f.concealed)}起：{accidents_named(f.concealed, f, tree)}。")
    return lines


def _markdown_table(t: Table) -> list[str]:
    align = "|".join("---:" if i in t.numeric else "---" for i in range(len(t.header)))
    return [f"| {' | '.join(t.header)} |", f"|{align}|"] + [f"| {' | '.join(r)} |" for r in t.rows]


def _html_table(t: Table) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in t.header)
    body = [
        "<tr>"
        + "".join(
            f"<td class=num>{escape(c)}</td>" if i in t.numeric else f"<td>{escape(c)}</td>" for i, c in enumerate(r)
        )
        + "</tr>"
        for r in t.rows
    ]
    return "\n".join([f"<table><tr>{head}</tr>", *body, "</table>"])


def _span(p) -> str:
    """统计期间 in Chinese dates (2024年3月1日至2024年3月31日)."""
    from safegov.core.words import fmt_date

    return f"统计期间 {fmt_date(p.first)}至{fmt_date(p.last)}"


def anchor_line(anchor: Checkpoint | None) -> str:
    """The audit chain's signed head as of the draft (存证), and how to check a database against it."""
    if anchor is None:
        return "数据存证：审计链尚无签名锚点。"
    return f"数据存证：{anchor.describe()}。核验命令：safegov audit verify --anchor {anchor.length}:{anchor.head_hash}"


def render_markdown(f: Figures, tree: UnitTree, anchor: Checkpoint | None = None) -> str:
    p = parse_period(f.period)
    lines = [
        f"# {title(f)}",
        "",
        f"> 草稿 · {f.unit_name}安委会办公室 · 依据《关于进一步加强安全生产工作的决定》〔十五〕 · {_span(p)}",
        "",
        "## 一、生产安全事故情况",
        "",
        f"本月共发生生产安全事故 {f.accidents_total} 起，死亡 {f.deaths_total} 人。",
        "",
    ]
    if (table := accidents_table(f, tree)) is not None:
        lines += [*_markdown_table(table), ""]
    lines += ["## 二、事故信息报告情况", ""]
    for k, label in ALL_VIOLATIONS.items():
        ids = f.violations[k]
        lines.append(f"- {label}：{len(ids)} 起" + (f"，{accidents_named(ids, f, tree)}" if ids else ""))
    lines += ["", "## 三、本月认定的未履行职责情况", ""]
    if (table := missed_table(f, tree)) is not None:
        lines += _markdown_table(table)
    else:
        lines.append("本月未认定未履职事项。")
    lines += ["", "## 四、本月新立问责案件", ""]
    if (table := cases_table(f)) is not None:
        lines += _markdown_table(table)
    else:
        lines.append("本月未新立案件。")
    lines += ["", "## 五、通报数字核对", ""]
    lines += reconciliation(f, tree)
    lines += ["", "（本通报为系统生成草稿，经安委办审核后印发。）", "", f"> {anchor_line(anchor)}", ""]
    return "\n".join(lines)


def render_html(f: Figures, tree: UnitTree, anchor: Checkpoint | None = None) -> str:
    e = escape
    p = parse_period(f.period)
    parts = [
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">',
        f"<title>{e(title(f))}</title>",
        "<style>body{font-family:'Noto Sans CJK SC','Microsoft YaHei',sans-serif;max-width:860px;margin:24px auto;"
        "color:#222}"
        "table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:4px 8px}th{background:#f2f4f7}"
        ".num{text-align:right}.draft{color:#b02a37}</style></head><body>",
        f"<h1>{e(title(f))}</h1>",
        f'<p class="draft">草稿 · {e(f.unit_name)}安委会办公室 · 依据〔十五〕 · {_span(p)}</p>',
        "<h2>一、生产安全事故情况</h2>",
        f"<p>本月共发生生产安全事故 <b id='accidents-total'>{f.accidents_total}</b> 起，"
        f"死亡 <b>{f.deaths_total}</b> 人。</p>",
    ]
    if (table := accidents_table(f, tree)) is not None:
        parts.append(_html_table(table))
    parts.append("<h2>二、事故信息报告情况</h2><ul>")
    for k, label in ALL_VIOLATIONS.items():
        ids = f.violations[k]
        parts.append(
            f"<li>{e(label)}：{len(ids)} 起" + (f"，{e(accidents_named(ids, f, tree))}" if ids else "") + "</li>"
        )
    parts.append("</ul><h2>三、本月认定的未履行职责情况</h2>")
    if (table := missed_table(f, tree)) is not None:
        parts.append(_html_table(table))
    else:
        parts.append("<p>本月未认定未履职事项。</p>")
    parts.append("<h2>四、本月新立问责案件</h2>")
    if (table := cases_table(f)) is not None:
        parts.append(_html_table(table))
    else:
        parts.append("<p>本月未新立案件。</p>")
    parts.append('<h2>五、通报数字核对</h2><div id="reconciliation">')
    parts += [f"<p>{e(line)}</p>" for line in reconciliation(f, tree)]
    parts.append("</div>")
    parts.append("<p>（本通报为系统生成草稿，经安委办审核后印发。）</p>")
    parts.append(f'<p class="anchor" id="audit-anchor"><small>{e(anchor_line(anchor))}</small></p></body></html>')
    return "\n".join(parts)


REGION_CODE = "150000"
REGION_ABBREVIATION = "内安委办"  # 机关代字 of 内蒙古自治区安全生产委员会办公室


def issue_date(period_key: str) -> dt.date:
    """成文日期 of the official document: the first working day after the reported month (the
    draft is made at 00:00 on the month's last day + 1; the office then has
    ``BULLETIN-MONTHLY``'s grace to sign and issue it, changing the date as it signs)."""
    return add_working_days(_month(period_key).last, 1)


def issuing_office(unit_code: str, tree: UnitTree) -> str:
    """发文机关 in full; a county's office is named with its league's name before its own."""
    name = tree.name(unit_code)
    league = tree.league_of(unit_code)
    if league is not None and league != unit_code and not name.startswith(tree.name(league)):
        name = tree.name(league) + name
    return f"{name}安全生产委员会办公室"


def document_number(unit_code: str, tree: UnitTree, issued: dt.date) -> str:
    """发文字号 ``<代字>〔<year>〕<N>号``: the monthly bulletins as their own series, N the
    month of the 成文日期 (January's bulletin, issued in February, is N = 2; December's,
    issued in January, N = 1 of the next year), so a redraft gets the same number. 代字 is
    内安委办 for the region and ``<unit name>安委办`` below it: no league or county
    abbreviation is in the register, the office corrects it as it signs."""
    prefix = REGION_ABBREVIATION if unit_code == REGION_CODE else f"{tree.name(unit_code)}安委办"
    return f"{prefix}〔{issued.year}〕{issued.month}号"


def addressees(unit_code: str, tree: UnitTree) -> str:
    """主送机关: the offices one level down and the member units of the office's committee."""
    name = tree.name(unit_code)
    if unit_code == REGION_CODE:
        return "各盟市安全生产委员会办公室，自治区安全生产委员会各成员单位："
    if tree.league_of(unit_code) == unit_code:
        return f"各旗县（市、区）安全生产委员会办公室，{name}安全生产委员会各成员单位："
    return f"各苏木乡镇（街道），{name}安全生产委员会各成员单位："


HAN_ORDINALS = "一二三四五六七八九十"


def han_ordinal(i: int) -> str:
    """The (i + 1)-th Chinese ordinal up to 19: 一 … 十, 十一 … 十九."""
    return HAN_ORDINALS[i] if i < 10 else "十" + HAN_ORDINALS[i - 10]


def official_document(f: Figures, tree: UnitTree, anchor: Checkpoint | None = None) -> OfficialDocument:
    """The bulletin as a 公文: the sections of the HTML draft with 一、（一）1. headings, its
    tables cell for cell."""
    p = _month(f.period)
    issued = issue_date(f.period)
    body: list = [
        Paragraph(
            f"现将{p.first.year}年{p.first.month}月（{chinese_date(p.first)}至{chinese_date(p.last)}）"
            f"{f.unit_name}安全生产信息报送情况通报如下。"
        ),
        Heading(1, "一、生产安全事故情况"),
        Heading(2, "（一）总体情况。", f"本月共发生生产安全事故{f.accidents_total}起，死亡{f.deaths_total}人。"),
    ]
    if (table := accidents_table(f, tree)) is not None:
        body += [Heading(2, "（二）分地区情况。", "各旗县（市、区）事故情况见下表。"), table]
    body.append(Heading(1, "二、事故信息报告情况"))
    for i, (k, label) in enumerate(ALL_VIOLATIONS.items()):
        ids = f.violations[k]
        body.append(Heading(2, f"（{han_ordinal(i)}）{label}。", f"共{len(ids)}起。"))
        body += [
            Heading(3, f"{j}.", "，".join(filter(None, (accident_party(aid, f, tree), f"事故编号{aid}。"))))
            for j, aid in enumerate(ids, start=1)
        ]
    body.append(Heading(1, "三、本月认定的未履行职责情况"))
    if (table := missed_table(f, tree)) is not None:
        count = sum(len(s) for s in f.missed_by_obligation.values())
        body += [Paragraph(f"本月认定未履行职责{count}项次，详见下表。"), table]
    else:
        body.append(Paragraph("本月未认定未履职事项。"))
    body.append(Heading(1, "四、本月新立问责案件"))
    if (table := cases_table(f)) is not None:
        body += [Paragraph(f"本月新立问责案件{sum(f.cases_by_kind.values())}件，详见下表。"), table]
    else:
        body.append(Paragraph("本月未新立案件。"))
    body.append(Heading(1, "五、通报数字核对"))
    body += [Paragraph(line) for line in reconciliation(f, tree)]
    return OfficialDocument(
        issuer=issuing_office(f.unit_code, tree),
        number=document_number(f.unit_code, tree, issued),
        title=title(f),
        addressees=addressees(f.unit_code, tree),
        body=body,
        signed_on=issued,
        notes=["本通报为系统生成草稿，经安委办审核后印发。", anchor_line(anchor)],
        comments="草稿：系统生成，经安委办审核后印发",
    )


def render_csv(f: Figures, anchor: Checkpoint | None = None) -> str:
    """The figures behind the draft: section, key, value (one row each)."""
    buf = io.StringIO()
    w = csv_writer(buf, lineterminator="\n")
    w.writerow(["unit_code", "period", "section", "key", "value"])
    w.writerow([f.unit_code, f.period, "accidents", "total", f.accidents_total])
    w.writerow([f.unit_code, f.period, "deaths", "total", f.deaths_total])
    for code in sorted(f.accidents_by_county):
        for k, v in f.accidents_by_county[code].items():
            w.writerow([f.unit_code, f.period, f"county_{k}", code, round(v, 1) if isinstance(v, float) else v])
    for k in ALL_VIOLATIONS:
        w.writerow([f.unit_code, f.period, "reporting", k, len(f.violations[k])])
    if f.issued is not None:
        for key, issued, recorded in zip(RECONCILED, f.issued, _recorded(f)):
            w.writerow([f.unit_code, f.period, "reconciliation", key, issued - recorded])
    for ob, subjects in f.missed_by_obligation.items():
        w.writerow([f.unit_code, f.period, "missed", ob, len(subjects)])
    for kind in sorted(f.cases_by_kind):
        w.writerow([f.unit_code, f.period, "cases_opened", kind, f.cases_by_kind[kind]])
    if anchor is not None:
        for k, v in anchor.as_extra().items():
            w.writerow([f.unit_code, f.period, "audit_checkpoint", k, v])
    return buf.getvalue()


def _write(path: Path, content: str | bytes) -> None:
    """Write via a temp file and rename, so a killed run leaves no half-written draft."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    os.replace(tmp, path)


FORMATS = ("md", "html", "csv", "docx")


def _render(ext: str, f: Figures, tree: UnitTree, anchor: Checkpoint | None) -> str | bytes:
    if ext == "md":
        return render_markdown(f, tree, anchor)
    if ext == "html":
        return render_html(f, tree, anchor)
    if ext == "csv":
        return render_csv(f, anchor)
    return render_docx(official_document(f, tree, anchor))


def draft_bulletins(
    engine: Engine,
    period_key: str,
    *,
    out_dir: Path | None = None,
    config_dir: Path | None = None,
    unit_codes=None,
    formats: tuple[str, ...] = FORMATS,
) -> list[Path]:
    """Draft every safety office's bulletin for ``period_key`` (a month); return the paths.

    ``out_dir`` defaults to ``$SAFEGOV_DATA_DIR/bulletins/<period>``; ``unit_codes``
    limits the offices drafted (default: all 116); ``formats`` the files written (default
    all of :data:`FORMATS`), each rendered from the same figures."""
    _month(period_key)
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown or not formats:
        raise SafegovError(f"bulletin formats are {', '.join(FORMATS)}: not {', '.join(unknown) or 'none'}")
    tree = UnitTree.from_config(config_dir)
    if out_dir is None:
        from safegov.core.settings import get_settings

        out_dir = get_settings().data_dir / "bulletins" / period_key
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with Session(engine) as session:
        figs = collect(session, period_key, tree)
        anchor = latest_checkpoint(session)
    offices = [code for code in sorted(figs) if unit_codes is None or code in unit_codes]
    paths: list[Path] = []
    # Format by format: the .docx's 成文日期 needs the working-day calendar of the next month,
    # so a year not yet entered in holidays.yaml fails the run loudly (CalendarRangeError says
    # what to enter) after every office's Markdown, HTML and CSV draft is written.
    for ext in (e for e in FORMATS if e in formats):
        for code in offices:
            path = out_dir / f"{code}.{ext}"
            _write(path, _render(ext, figs[code], tree, anchor))
            paths.append(path)
    return paths
