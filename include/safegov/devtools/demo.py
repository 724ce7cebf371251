"""Deterministic demo data in the inbox format of SPEC §3, and the generator behind it.

``write_demo(inbox, until="2026-10")`` writes 24 months of submissions for the whole region
(116 units, about 100 departments, about 300 enterprises) with a planted story that the
evaluation, escalation, blacklist and dashboard can be checked against; the story is listed
in ``demo_story.md`` next to this file and returned by ``write_demo`` (``known_misses``,
``accidents``, ``bad_rows`` …).

One generator (:class:`Generator`) serves both the demo and the province-scale synthetic set
(``safegov.devtools.synth``): it is parametrised by size and rates, produces one month at a time as
tuples in the canonical column order of :mod:`safegov.register.records` (plus ``received_at``), and
only the demo switches on the planted story and the mixed file formats.

Determinism: every random choice comes from ``random.Random`` seeded with a string made of
the seed and the stream's name/period (string seeds are hashed with SHA-512, so they do not
depend on ``PYTHONHASHSEED``); nothing reads the clock except the default of ``until``.
Same seed + until → byte-identical files.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
import random
import re
import zipfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from safegov.core.grades import grade_of
from safegov.core.periods import (
    CalendarRangeError,
    Period,
    add_months,
    grace_ends_on,
    parse_period,
    period_of,
    periods_between,
)
from safegov.devtools import demo_drills, demo_liability, demo_reports
from safegov.devtools.demo_money import RECORD_TYPES as DEMO_MONEY_TYPES
from safegov.devtools.demo_money import write_money_demo
from safegov.register.records import RECORD_TYPES

# Column order of every file: the contract's columns, then the row's own received time.
HEADERS: dict[str, tuple[str, ...]] = {name: rt.column_names + ("received_at",) for name, rt in RECORD_TYPES.items()}

# Registries first (records reference them), then departments before leaders (leaders
# reference departments). ``write_demo`` returns its files in this order.
LOAD_ORDER = (
    "department",
    "staff",
    "leader",
    "enterprise",
    "training",
    "milestone",
    "plan",
    "drill",
    "meeting",
    "inspection",
    "bulletin",
    "hazard_inspection",
    "risk_assessment",
    "hazard",
    "accident",
    "accident_report",
    "penalty",
    "review",
    "complaint",
    *DEMO_MONEY_TYPES,  # 〔十〕〔十六〕 (issue 16 items 3, 6)
)

# What ``Generator.month`` returns, in file order; "hazard:rectified" holds the follow-up
# versions of earlier hazards (same hazard_id, now with rectified_on/verified_on). They go in
# their own file: a natural key may appear once per file.
MONTH_TAGS = (
    "meeting",
    "inspection",
    "bulletin",
    "hazard_inspection",
    "risk_assessment",
    "hazard",
    "hazard:rectified",
    "accident",
    "complaint",
)


def file_name(tag: str, key: str, ext: str = "csv") -> str:
    """``meeting`` + ``2025-03`` → ``meeting_2025-03.csv``; ``hazard:rectified`` → ``hazard_2025-03_rectified.csv``."""
    rt, _, suffix = tag.partition(":")
    return f"{rt}_{key}{'_' + suffix if suffix else ''}.{ext}"


UNKNOWN_UNIT = "150198"  # six digits, looks like a Hohhot district, is not in config/units.csv
GRACE_DAYS = 5  # the register's default grace (working days); late rows arrive after it

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"  # noqa: E501 - data
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建国志海东林波宁新利飞斌宇浩凯健俊峰巴特尔其木格乌兰图雅"  # noqa: E501 - data
BRANDS = [
    "瑞丰",
    "金泰",
    "鑫源",
    "宏达",
    "恒通",
    "永盛",
    "华能",
    "蒙源",
    "北方",
    "天骄",
    "草原",
    "长城",
    "伊泰",
    "汇能",
    "远兴",
    "君正",
    "包钢",
    "亿利",
    "东达",
    "满世",
    "庆华",
    "久泰",
    "神华",
    "大唐",
    "蒙泰",
    "鄂尔多斯",
    "阿拉善",
    "塞北",
]
INDUSTRIES = [  # (industry, suffix, high_risk, weight)
    ("coal_mining", "煤业有限公司", True, 10),
    ("non_coal_mining", "矿业有限责任公司", True, 8),
    ("hazardous_chemicals", "化工有限公司", True, 10),
    ("metallurgy", "冶金有限公司", True, 6),
    ("construction", "建筑工程有限公司", False, 14),
    ("road_transport", "运输有限公司", False, 10),
    ("building_materials", "建材有限公司", False, 8),
    ("power", "电力有限公司", False, 5),
    ("food_processing", "食品有限公司", False, 9),
    ("warehousing", "物流有限公司", False, 7),
    ("fireworks", "烟花爆竹有限公司", True, 2),
    ("gas_supply", "燃气有限公司", True, 5),
    ("retail", "商贸有限公司", False, 6),
]
REGION_DEPTS = [  # (name, industry, safety_duty)
    ("应急管理厅", "emergency", True),
    ("住房和城乡建设厅", "construction", True),
    ("交通运输厅", "transport", True),
    ("公安厅", "road_traffic", True),
    ("能源局", "coal_mining", True),
    ("工业和信息化厅", "industry", True),
    ("市场监督管理局", "special_equipment", True),
    ("农牧厅", "agricultural_machinery", True),
    ("自然资源厅", "non_coal_mining", True),
    ("水利厅", "water", True),
    ("教育厅", "education", False),
    ("文化和旅游厅", "tourism", False),
]
LEAGUE_DEPTS = [
    ("应急管理局", "emergency", True),
    ("住房和城乡建设局", "construction", True),
    ("交通运输局", "transport", True),
    ("能源局", "coal_mining", True),
    ("市场监督管理局", "special_equipment", True),
    ("工业和信息化局", "industry", True),
]
COUNTY_DEPTS = [
    ("应急管理局", "emergency", True),
    ("住房和城乡建设局", "construction", True),
    ("交通运输局", "transport", True),
    ("市场监督管理局", "special_equipment", True),
]
TARGETS = [
    "煤矿企业",
    "危险化学品企业",
    "非煤矿山",
    "建筑施工工地",
    "道路运输企业",
    "冶金工贸企业",
    "燃气经营企业",
    "人员密集场所",
    "特种设备使用单位",
    "烟花爆竹经营单位",
]
HAZARD_TEXT = [
    "皮带输送机防护罩缺失",
    "配电箱未接地",
    "安全出口堵塞",
    "储罐区可燃气体报警器失效",
    "脚手架连墙件不足",
    "消防设施未定期检验",
    "井下通风设施不完善",
    "特种作业人员无证上岗",
    "应急照明损坏",
    "危化品储存超量",
]
MEASURES = ["立即停用并更换", "限期整改并复查", "增设防护设施", "组织专项培训", "委托专业机构检测"]
OUTCOMES = ["举报属实，已责令整改", "举报部分属实，已督促整改", "举报不属实，已回复举报人", "已移交有关部门处理"]
TIMES = [
    "08:47:00",
    "09:12:00",
    "09:35:00",
    "10:05:00",
    "10:48:00",
    "11:20:00",
    "14:10:00",
    "15:02:00",
    "15:45:00",
    "16:30:00",
    "17:05:00",
    "17:40:00",
]
CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
SMALL = [str(i) for i in range(100)]


# --------------------------------------------------------------------------- the planted story


@dataclass(frozen=True)
class Story:
    """What the demo plants on purpose (offsets are months before ``until``; see demo_story.md)."""

    meeting_county: str = "150121"  # 土默特左旗: no safety committee meeting 3 months running
    meeting_miss_offsets: tuple[int, ...] = (5, 4, 3)
    weak_counties: tuple[str, ...] = ("150923", "150924", "152922", "150125")  # 商都县 兴和县 阿拉善右旗 武川县
    selfcheck_county: str = "150925"  # 凉城县: an enterprise skipping self-checks 5 months running
    selfcheck_miss_offsets: tuple[int, ...] = (6, 5, 4, 3, 2)
    larger_accident_county: str = "150622"  # 准格尔旗: larger accident → DUAL-INTERVIEW-COUNTY, blacklist
    larger_accident_offset: int = 7
    late_report_county: str = "150902"  # 集宁区: an accident first reported 2 hours late
    late_report_offset: int = 9
    concealed_county: str = "150624"  # 鄂托克旗: a concealed accident → reporting violation, blacklist
    concealed_offset: int = 11
    hazard_county: str = "150627"  # 伊金霍洛旗: a major hazard past its deadline, never rectified
    hazard_offset: int = 4
    rescue_team_missing: str = "152900"  # 阿拉善盟 never reports its rescue team (RESCUE-TEAM-2017)
    # 〔八〕 ENT-SUPERVISOR: the overdue-hazard enterprise names no supervising department (missed);
    # the missing-self-checks enterprise is given one only after the grace (met_late).
    unsupervised_story: str = "overdue_hazard"
    supervised_late_story: str = "missing_selfchecks"
    supervised_late_on: str = "2026-02-10"
    # 〔八〕 enforcement plans of the year before ``until``'s: 兴和县 has none (ENFORCE-PLAN-UNIT
    # missed); one league department has none, another sends its plan late (ENFORCE-PLAN-DEPT).
    plan_missing_county: str = "150924"
    plan_missing_department: str = "D150300-01"
    plan_late_department: str = "D150200-01"
    # 〔九〕 STAFF-ROTATION-TRAINING: an officer untrained since 2021 (missed 2024 and 2025 →
    # notice, then interview) and one whose 2025 training is reported after the grace (met_late).
    untrained_officer: str = "S-150924-1"
    late_trained_officer: str = "S-D150200-01-1"
    late_training_received: str = "2026-02-15"
    # (post or department, offset in months, day) where the holder changes mid-period.
    term_changes: tuple[tuple[str, int, int], ...] = (
        ("150102:government_head", 8, 16),
        ("150200:party_secretary", 14, 1),
        ("D150100-01", 5, 10),
    )


STORY_ENTERPRISES = {  # key → (county attribute of Story, brand, industry index)
    "larger_accident": ("larger_accident_county", "瑞丰", 0),
    "concealed_accident": ("concealed_county", "金泰", 2),
    "overdue_hazard": ("hazard_county", "鑫源", 0),
    "missing_selfchecks": ("selfcheck_county", "宏达", 6),
    "late_report": ("late_report_county", "恒通", 5),
}


def _month_add(key: str, n: int) -> str:
    day = add_months(parse_period(key).first, n)
    return f"{day.year:04d}-{day.month:02d}"


def default_until() -> str:
    """The last full month before the clock's now whose grace is over (Asia/Shanghai).

    Rows of a month arrive until its grace end (5 working days later); a month whose grace
    is still running would carry ``received_at`` values in the future, which ingestion
    rightly refuses. On 2026-11-29 this is 2026-10; on 2026-11-03 it is 2026-09.
    """
    from safegov.core.clock import get_clock
    from safegov.core.periods import grace_ends_at

    now = get_clock().now()
    key = _month_add(f"{now.year:04d}-{now.month:02d}", -1)
    try:
        if grace_ends_at(parse_period(key), GRACE_DAYS) > now:
            key = _month_add(key, -1)
    except CalendarRangeError:  # grace end unknown (calendar not published yet): be safe
        key = _month_add(key, -1)
    return key


def _iso(d: dt.date | None) -> str:
    return d.isoformat() if d else ""


def _at(d: dt.date, time: str) -> str:
    return f"{d.isoformat()} {time}"


@dataclass(slots=True)
class Ent:
    """An enterprise in the generated world (index i in Generator.enterprises)."""

    eid: str
    name: str
    county: str
    industry: str
    high_risk: bool
    rep: str
    registered_on: dt.date
    closed_on: dt.date | None
    p_miss: float
    story: str | None = None


@dataclass
class Stats:
    rows: Counter = field(default_factory=Counter)  # rows written per record type (bad included)
    planned: Counter = field(default_factory=Counter)  # obligation instances per obligation
    omitted: Counter = field(default_factory=Counter)  # … with no record at all
    not_evidence: Counter = field(default_factory=Counter)  # … whose record cannot count
    bad: Counter = field(default_factory=Counter)  # bad rows per record type
    late: Counter = field(default_factory=Counter)  # rows received after grace, per record type

    def compliance(self) -> float:
        planned = sum(self.planned.values())
        missing = sum(self.omitted.values()) + sum(self.not_evidence.values())
        return round(1 - missing / planned, 4) if planned else 1.0


class Generator:
    """The world (units, leaders, departments, enterprises) and its submissions, month by month.

    ``month(key)`` must be called for consecutive months from ``first`` to ``last``: the
    generator keeps the quarter/year slots and the hazard follow-up rows between months.
    """

    def __init__(
        self,
        *,
        seed: int,
        first: str,
        last: str,
        enterprises: int,
        departments: int = 100,
        compliance: float = 0.90,
        late_rate: float = 0.03,
        bad_rate: float = 0.015,
        not_evidence_rate: float = 0.01,
        story: Story | None = None,
        record_bad: bool = False,
        config_dir: Path | None = None,
    ):
        from safegov.org.units import load_units

        self.seed = seed
        self.first, self.last = parse_period(first), parse_period(last)
        if self.first.first > self.last.first:
            raise ValueError(f"empty range {first}..{last}")
        self.months = [p.key for p in periods_between(first, last, "monthly")]
        self.range_first, self.range_last = self.first.first, self.last.last
        self.story = story
        self.late_rate, self.bad_rate, self.not_evidence_rate = late_rate, bad_rate, not_evidence_rate
        # Misses that leave no record; bad and non-evidence rows make up the rest of 1 − compliance.
        self.omit_rate = max(0.0, 1 - compliance - bad_rate - not_evidence_rate)
        self.record_bad = record_bad
        self.bad_rows: list[dict] = []
        self.stats = Stats()
        self.units = load_units(config_dir)
        self.unit_names = {u.code: u.name for u in self.units}
        self.counties = [u.code for u in self.units if u.level == "county"]
        self.leagues = [u.code for u in self.units if u.level == "league"]
        self.region = next(u.code for u in self.units if u.level == "region")
        self._next_month = 0
        self._pending: dict[str, list[tuple]] = defaultdict(list)  # month → hazard follow-up rows
        self._in_range_cache: dict[str, list[str]] = {}
        from safegov.core.periods import calendar_years

        self._cal_max_year = calendar_years()[1]
        rng = self._rng("world")
        self._build_weak(rng)
        self._build_departments(rng, departments)
        self._build_staff()
        self._build_leaders(rng)
        self._build_enterprises(rng, enterprises)
        self._build_accidents()
        self._build_complaint_plan()

    # ------------------------------------------------------------------ helpers

    def _rng(self, *parts: object) -> random.Random:
        return random.Random("|".join(str(p) for p in (self.seed, *parts)))

    def _offset_month(self, offset: int) -> str | None:
        """The month ``offset`` months before the last one, if it is in range."""
        key = _month_add(self.last.key, -offset)
        return key if key in self.months else None

    def _name(self, rng: random.Random) -> str:
        return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))

    def _p_unit(self, code: str) -> float:
        return self._p_unit_weak if code in self.weak_units else self._p_unit_base

    def _grace_end(self, period: Period) -> dt.date | None:
        try:
            return grace_ends_on(period, GRACE_DAYS)
        except CalendarRangeError:
            return None

    # ------------------------------------------------------------------ the world

    def _build_weak(self, rng: random.Random) -> None:
        if self.story:
            self.weak_units = set(self.story.weak_counties)
        else:
            self.weak_units = set(rng.sample(self.counties, max(1, len(self.counties) // 12)))
        # Misses concentrate in the weak units, the average stays at the omit rate.
        share = len(self.weak_units) / len(self.units)
        self._p_unit_weak = min(0.9, self.omit_rate * 4.5)
        self._p_unit_base = max(0.0, (self.omit_rate - share * self._p_unit_weak) / (1 - share))

    def _build_departments(self, rng: random.Random, n: int) -> None:
        depts: list[tuple[str, str, str, str, bool]] = []  # id, unit, name, industry, safety_duty
        region_name = "自治区"
        for i, (name, industry, duty) in enumerate(REGION_DEPTS, 1):
            depts.append((f"D{self.region}-{i:02d}", self.region, region_name + name, industry, duty))
        for league in self.leagues:
            for i, (name, industry, duty) in enumerate(LEAGUE_DEPTS, 1):
                depts.append((f"D{league}-{i:02d}", league, self.unit_names[league] + name, industry, duty))
        k = 0
        while len(depts) < n and k < len(self.counties) * len(COUNTY_DEPTS):
            county = self.counties[k % len(self.counties)]
            i = k // len(self.counties) + 1
            name, industry, duty = COUNTY_DEPTS[i - 1]
            depts.append((f"D{county}-{i:02d}", county, self.unit_names[county] + name, industry, duty))
            k += 1
        depts = depts[: max(n, 1)]
        # A few departments without safety duties besides the region's two (→ exempt).
        lst = [list(d) for d in depts]
        for j in range(len(REGION_DEPTS) + 5, len(lst), 37):
            lst[j][4] = False
        self.departments = [tuple(d) for d in lst]

    def _build_staff(self) -> None:
        """〔九〕 enforcement officers: one per unit, two per department with safety duties, each
        certified 60 days after joining (凡进必考、持证上岗)."""
        rng = self._rng("staff")
        self.staff: list[tuple] = []  # staff_id, name, unit, department, certified_on, certificate_no, joined_on
        self.officers_of: dict[str, list[str]] = defaultdict(list)
        owners = [(u.code, u.code, "") for u in self.units]
        owners += [(d[0], d[1], d[0]) for d in self.departments if d[4] for _ in (1, 2)]
        for owner, unit, dept in owners:
            n = len(self.officers_of[owner]) + 1
            sid = f"S-{owner}-{n}"
            joined = self.range_first - dt.timedelta(days=rng.randint(400, 4000))
            if self.story and sid in (self.story.untrained_officer, self.story.late_trained_officer):
                joined = dt.date(2015, 3, 1)
            certified = joined + dt.timedelta(days=60)
            self.staff.append(
                (
                    sid,
                    self._name(rng),
                    unit,
                    dept,
                    certified,
                    f"蒙安执〔{certified.year}〕{len(self.staff) + 1:04d}",
                    joined,
                )
            )
            self.officers_of[owner].append(sid)

    def staff_rows(self) -> list[tuple]:
        base = self.range_first - dt.timedelta(days=30)
        rows = [
            (
                sid,
                name,
                unit,
                dept,
                _iso(cert),
                no,
                _iso(joined),
                "",
                _at(max(base, cert) + dt.timedelta(days=1), "09:00:00"),
            )
            for sid, name, unit, dept, cert, no, joined in self.staff
        ]
        self.stats.rows["staff"] += len(rows)
        return rows

    def training_rows(self) -> list[tuple]:
        """Induction 20 days after joining, then a rotation every 700 days (inside every 3-year
        window), up to 10 days before the range ends; the story's two officers as planted."""
        last = self.range_last - dt.timedelta(days=10)
        rows = []
        for sid, _name, _unit, _dept, _cert, _no, joined in self.staff:
            days = []
            day = joined + dt.timedelta(days=20)
            while day <= last:
                days.append((day, day + dt.timedelta(days=5)))
                day += dt.timedelta(days=700)
            if self.story and sid == self.story.untrained_officer:
                days = [(d, r) for d, r in days if d < dt.date(2021, 1, 1)]
            if self.story and sid == self.story.late_trained_officer:
                late = dt.date.fromisoformat(self.story.late_training_received)
                days = [(d, r) for d, r in days if d < dt.date(2023, 1, 1)]
                if late <= self.range_last:
                    days.append((dt.date(late.year - 1, 6, 1), late))
                    self.stats.late["training"] += 1
            for n, (d, r) in enumerate(days, 1):
                course = "入职培训" if n == 1 else "安全监管执法轮训"
                rows.append((f"TR-{sid}-{n}", sid, d.isoformat(), course, f"结业〔{d.year}〕{n}", _at(r, "10:00:00")))
        self.stats.rows["training"] += len(rows)
        return rows

    def _build_leaders(self, rng: random.Random) -> None:
        """Every post of every unit plus each department's head, as chains of terms."""
        self.leaders: list[tuple] = []  # registry rows without received_at
        self.holders: dict[str, list[tuple[dt.date, dt.date | None, str]]] = {}
        start = self.range_first
        changes: dict[str, tuple[dt.date, ...]] = {}
        if self.story:
            for post, offset, day in self.story.term_changes:
                key = self._offset_month(offset)
                if key:
                    p = parse_period(key)
                    changes[post] = (p.first.replace(day=min(day, p.last.day)),)
        posts: list[tuple[str, str, str, str | None]] = []  # post key, unit, role, department
        for u in self.units:
            for role in ("party_secretary", "government_head", "safety_office_director"):
                posts.append((f"{u.code}:{role}", u.code, role, None))
        for d in self.departments:
            posts.append((d[0], d[1], "department_head", d[0]))
        abbr = {"party_secretary": "PS", "government_head": "GH", "safety_office_director": "SO"}
        for post, unit, role, dept in posts:
            first_start = start - dt.timedelta(days=rng.randint(120, 1500))
            if self.story:
                cuts = changes.get(post, ())
            else:  # terms of 3–6 years across the whole range
                cuts, t = [], first_start
                while True:
                    t = t + dt.timedelta(days=rng.randint(3 * 365, 6 * 365))
                    if t > self.range_last:
                        break
                    cuts.append(t)
            starts = [first_start, *cuts]
            chain = []
            for n, s in enumerate(starts, 1):
                end = starts[n] - dt.timedelta(days=1) if n < len(starts) else None
                lid = f"L{dept}-{n}" if dept else f"L{unit}{abbr[role]}{n:02d}"
                name = self._name(rng)
                self.leaders.append((lid, name, unit, role, dept or "", f"{lid.lower()}@nmg.example.gov.cn", s, end))
                chain.append((s, end, lid))
            self.holders[post] = chain

    def holder(self, post: str, on: dt.date) -> str:
        chain = self.holders[post]
        for s, _e, lid in reversed(chain):
            if s <= on:
                return lid
        return chain[0][2]

    def _credit_code(self, rng: random.Random, county: str, used: set[str]) -> str:
        from safegov.core.creditcode import make_credit_code

        while True:
            code = make_credit_code("91" + county + "MA" + "".join(rng.choices(CREDIT_ALPHABET, k=7)))
            if code not in used:
                used.add(code)
                return code

    def _build_enterprises(self, rng: random.Random, n: int) -> None:
        used: set[str] = set()
        weights = [w for *_, w in INDUSTRIES]
        span = (self.range_last - self.range_first).days
        ents: list[Ent] = []
        weak_share = 0.15
        # The demo: 10 % registered and 5 % closed during its two years. Longer synthetic
        # ranges: the population grows about 3 % and loses about 1.5 % a year (capped).
        years = len(self.months) / 12
        p_registered = 0.10 if self.story else min(0.30, 0.03 * years)
        p_closed = 0.05 if self.story else min(0.15, 0.015 * years)
        p_weak = min(0.9, self.omit_rate * 4.5)
        p_base = max(0.0, (self.omit_rate - weak_share * p_weak) / (1 - weak_share))
        if self.story:
            for key, (attr, brand, ind) in STORY_ENTERPRISES.items():
                county = getattr(self.story, attr)
                industry, suffix, high_risk, _ = INDUSTRIES[ind]
                ents.append(
                    Ent(
                        self._credit_code(rng, county, used),
                        self.unit_names[county] + brand + suffix,
                        county,
                        industry,
                        high_risk,
                        self._name(rng),
                        dt.date(2012, 5, 18),
                        None,
                        0.0,
                        story=key,
                    )
                )
        # Enterprises cluster where the mines and plants are: leagues with more counties get more.
        for _ in range(len(ents), n):
            county = rng.choice(self.counties)
            industry, suffix, high_risk, _ = rng.choices(INDUSTRIES, weights)[0]
            r = rng.random()
            if r < p_registered:  # registered during the range
                registered = self.range_first + dt.timedelta(days=rng.randint(15, max(16, span - 60)))
            else:
                registered = self.range_first - dt.timedelta(days=rng.randint(30, 4000))
            closed = None
            if rng.random() < p_closed:
                lo = max(registered, self.range_first) + dt.timedelta(days=60)
                if lo < self.range_last - dt.timedelta(days=30):
                    closed = lo + dt.timedelta(days=rng.randint(0, (self.range_last - dt.timedelta(days=30) - lo).days))
            weak = rng.random() < weak_share
            ents.append(
                Ent(
                    self._credit_code(rng, county, used),
                    self.unit_names[county] + rng.choice(BRANDS) + suffix,
                    county,
                    industry,
                    high_risk,
                    self._name(rng),
                    registered,
                    closed,
                    p_weak if weak else p_base,
                )
            )
        self.enterprises = ents
        self._idx = [f"{i:06d}" for i in range(len(ents))]
        # The hot loop reads plain tuples: (index, id, registered, closed, p_miss, story).
        never = dt.date.max.toordinal()
        self._hot = [
            (
                i,
                e.eid,
                e.registered_on.toordinal(),
                e.closed_on.toordinal() if e.closed_on else never,
                e.p_miss,
                e.story,
            )
            for i, e in enumerate(ents)
        ]
        self.story_ents = {e.story: e for e in ents if e.story}
        self.ents_by_county: dict[str, list[int]] = defaultdict(list)
        for i, e in enumerate(ents):
            self.ents_by_county[e.county].append(i)

    def _active(self, e: Ent, on: dt.date) -> bool:
        return e.registered_on <= on and (e.closed_on is None or e.closed_on >= on)

    def _build_accidents(self) -> None:
        """All accidents of the range, decided up front so that bulletins can count them."""
        rng = self._rng("accidents")
        out: list[dict] = []
        per_month = max(0.3, len(self.enterprises) / 2000)
        for key in self.months:
            p = parse_period(key)
            n = int(per_month) + (1 if rng.random() < per_month - int(per_month) else 0)
            for j in range(n):
                e = self.enterprises[rng.randrange(len(self.enterprises))]
                day = p.first + dt.timedelta(days=rng.randrange(p.last.day))
                if not self._active(e, day) or e.story:
                    continue
                r = rng.random()
                deaths = 0 if r < 0.55 else 1 if r < 0.9 else 2 if r < 0.975 else rng.randint(3, 5)
                if self.story:  # the story has exactly one larger accident: random ones stay general
                    deaths = min(deaths, 2)
                injuries = rng.randint(0, 4)
                loss = round(rng.uniform(5, 300), 1)
                grade = grade_of(deaths, injuries, loss)
                occurred = dt.datetime.combine(day, dt.time(rng.randint(0, 23), rng.randint(0, 59)))
                q = rng.random()
                kind = "on_time" if q < 0.95 or self.story else "late" if q < 0.99 else "concealed"
                out.append(
                    self._accident(
                        f"A{e.county}-{key.replace('-', '')}-{j + 1:02d}",
                        e,
                        occurred,
                        deaths,
                        injuries,
                        loss,
                        grade,
                        kind,
                        rng,
                    )
                )
        if self.story:
            s = self.story
            for attr, offset, kind, deaths, injuries, loss in (
                ("larger_accident", s.larger_accident_offset, "on_time", 3, 2, 620.0),
                ("late_report", s.late_report_offset, "late", 1, 0, 85.0),
                ("concealed_accident", s.concealed_offset, "concealed", 1, 1, 120.0),
            ):
                key = self._offset_month(offset)
                if not key:
                    continue
                p = parse_period(key)
                e = self.story_ents[attr]
                occurred = dt.datetime.combine(p.first + dt.timedelta(days=11), dt.time(14, 20))
                acc = self._accident(
                    f"A{e.county}-{key.replace('-', '')}-S{len(out) + 1}",
                    e,
                    occurred,
                    deaths,
                    injuries,
                    loss,
                    grade_of(deaths, injuries, loss),
                    kind,
                    rng,
                    delay_minutes=120 if kind == "late" else 40,
                )
                acc["story"] = attr
                out.append(acc)
        out.sort(key=lambda a: (a["occurred_at"], a["accident_id"]))
        self.accidents = out
        self._accidents_by_month: dict[str, list[dict]] = defaultdict(list)
        for a in out:
            self._accidents_by_month[a["occurred_at"].strftime("%Y-%m")].append(a)

    def _accident(self, aid, e, occurred, deaths, injuries, loss, grade, kind, rng, delay_minutes=None) -> dict:
        if kind == "on_time":
            reported = occurred + dt.timedelta(minutes=delay_minutes or rng.randint(12, 55))
        elif kind == "late":
            reported = occurred + dt.timedelta(minutes=delay_minutes or rng.randint(75, 300))
        else:  # concealed: first known when an inspection found it weeks later
            reported = occurred + dt.timedelta(days=20, hours=3)
        received = reported + dt.timedelta(days=2 if kind != "concealed" else 3, hours=1)
        return {
            "accident_id": aid,
            "unit_code": e.county,
            "enterprise_id": e.eid,
            "occurred_at": occurred,
            "reported_at": reported,
            "deaths": deaths,
            "serious_injuries": injuries,
            "direct_loss_10k_cny": loss,
            "declared_grade": grade,
            "concealed": kind == "concealed",
            "description": f"{e.name}发生{'物体打击' if deaths == 0 else '机械伤害' if deaths < 3 else '冒顶片帮'}事故",
            "received_at": received,
            "kind": kind,
        }

    def _build_complaint_plan(self) -> None:
        self.complaints_per_month = 4 + len(self.enterprises) // 200

    # ------------------------------------------------------------------ registries

    def registry_rows(self) -> dict[str, list[tuple]]:
        """Department, leader and enterprise registry rows (each row received after its last date)."""
        base = self.range_first - dt.timedelta(days=30)

        def recv(*dates: dt.date | None) -> str:
            last = max([d for d in dates if d] + [base])
            return _at(last + dt.timedelta(days=1), "09:00:00")

        dept_rows = [(d[0], d[1], d[2], d[3], "true" if d[4] else "false", recv()) for d in self.departments]
        leader_rows = [
            (lid, name, unit, role, dept, email, _iso(s), _iso(e), recv(s, e))
            for lid, name, unit, role, dept, email, s, e in self.leaders
        ]
        ent_rows = [
            self._enterprise_row(
                e, "" if self._unsupervised(e) else self.supervisor_of(e), recv(e.registered_on, e.closed_on)
            )
            for e in self.enterprises
        ]
        for rt, rows in (("department", dept_rows), ("leader", leader_rows), ("enterprise", ent_rows)):
            self.stats.rows[rt] += len(rows)
        return {"department": dept_rows, "leader": leader_rows, "enterprise": ent_rows}

    @staticmethod
    def _enterprise_row(e: Ent, supervisor: str, received: str) -> tuple:
        return (
            e.eid,
            e.name,
            e.county,
            e.industry,
            "true" if e.high_risk else "false",
            e.rep,
            f"safety@{e.eid.lower()}.example.com",
            _iso(e.registered_on),
            _iso(e.closed_on),
            supervisor,
            demo_liability.actual_controller(e),
            received,
        )

    def supervisor_of(self, e: Ent) -> str:
        """〔八〕 监管主体: the first department with safety duties of the enterprise's county, else
        of its league/city, else of the region."""
        if not hasattr(self, "_duty_depts"):
            self._duty_depts: dict[str, list[str]] = defaultdict(list)
            for dep_id, unit, _name, _industry, duty in self.departments:
                if duty:
                    self._duty_depts[unit].append(dep_id)
        for unit in (e.county, e.county[:4] + "00", self.region):
            if self._duty_depts.get(unit):
                return self._duty_depts[unit][0]
        raise ValueError(f"no department with safety duties above {e.county}")

    def _unsupervised(self, e: Ent) -> bool:
        """Named in the registry without a supervising department (the story's two enterprises)."""
        return bool(self.story) and e.story in (self.story.unsupervised_story, self.story.supervised_late_story)

    def opened_rows(self) -> list[tuple]:
        """The first registry version of each enterprise that closes, sent when it registered:
        its supervising department (〔八〕) was known then, not only with the closing row."""
        base = self.range_first - dt.timedelta(days=30)
        rows = [
            self._enterprise_row(
                dataclasses.replace(e, closed_on=None),
                "" if self._unsupervised(e) else self.supervisor_of(e),
                _at(max(e.registered_on, base) + dt.timedelta(days=1), "09:00:00"),
            )
            for e in self.enterprises
            if e.closed_on is not None
        ]
        self.stats.rows["enterprise"] += len(rows)
        return rows

    def supervision_update_rows(self) -> list[tuple]:
        """The late-named enterprise again, now with its supervising department (received after
        the grace of the year before ``until``'s)."""
        if not self.story:
            return []
        e = self.story_ents[self.story.supervised_late_story]
        when = dt.date.fromisoformat(self.story.supervised_late_on)
        if not self.range_first <= when <= self.range_last:
            return []
        row = self._enterprise_row(e, self.supervisor_of(e), _at(when, "10:00:00"))
        self.stats.rows["enterprise"] += 1
        self.stats.late["enterprise"] += 1
        return [row]

    def plan_rows(self) -> dict[str, list[tuple]]:
        """〔八〕 enforcement plans per year of the range: one per unit (department_id blank) and
        one per department with safety duties, approved before the year (or the range) starts."""
        out: dict[str, list[tuple]] = {}
        years = sorted({int(k[:4]) for k in self.months})
        story_year = int(self.last.key[:4]) - 1
        for year in years:
            start = max(dt.date(year, 1, 1), self.range_first)
            approved = start - dt.timedelta(days=12)
            rows = []
            owners = [(u.code, "", self.unit_names[u.code]) for u in self.units]
            owners += [(d[1], d[0], d[2]) for d in self.departments if d[4]]
            for unit, dept, name in owners:
                received = _at(approved + dt.timedelta(days=3), "10:00:00")
                if self.story and year == story_year:
                    if (dept or unit) in (self.story.plan_missing_county, self.story.plan_missing_department):
                        continue
                    if dept == self.story.plan_late_department:
                        received = _at(dt.date(year + 1, 3, 2), "10:00:00")
                        self.stats.late["plan"] += 1
                rows.append(
                    (
                        f"PLAN-{year}-{dept or unit}",
                        unit,
                        dept,
                        start.isoformat(),
                        approved.isoformat(),
                        f"{name}〔{year}〕执法计划",
                        received,
                    )
                )
            out[str(year)] = rows
            self.stats.rows["plan"] += len(rows)
        return out

    def milestone_rows(self) -> list[tuple]:
        """Milestones of 2017–2018 (〔九〕〔十三〕); one league never reports its rescue team."""
        rng = self._rng("milestones")
        rows = []
        missing = self.story.rescue_team_missing if self.story else None
        for u in self.units:
            if u.level == "region":
                for n, (m, d) in enumerate(((5, 20), (10, 12)), 1):
                    day = dt.date(2018, m, d)
                    rows.append(
                        (
                            f"MS-{u.code}-RB{n}",
                            u.code,
                            "rescue_base",
                            day.isoformat(),
                            f"内政办发〔2018〕{40 + n}号",
                            _at(day + dt.timedelta(days=3), "10:00:00"),
                        )
                    )
                continue
            day = dt.date(2017, rng.randint(3, 11), rng.randint(1, 28))
            rows.append(
                (
                    f"MS-{u.code}-EA",
                    u.code,
                    "enforcement_agency",
                    day.isoformat(),
                    f"{self.unit_names[u.code]}编发〔2017〕{rng.randint(3, 60)}号",
                    _at(day + dt.timedelta(days=2), "10:00:00"),
                )
            )
            if u.level == "league" and u.code != missing:
                day = dt.date(2017, rng.randint(4, 12), rng.randint(1, 20))
                rows.append(
                    (
                        f"MS-{u.code}-RT",
                        u.code,
                        "rescue_team",
                        day.isoformat(),
                        f"{self.unit_names[u.code]}政发〔2017〕{rng.randint(10, 90)}号",
                        _at(day + dt.timedelta(days=2), "10:00:00"),
                    )
                )
        self.stats.rows["milestone"] += len(rows)
        return rows

    # ------------------------------------------------------------------ one month

    def _in_range(self, period: Period) -> list[str]:
        """The months of ``period`` inside the generated range (cached: called per unit)."""
        got = self._in_range_cache.get(period.key)
        if got is None:
            got = self._in_range_cache[period.key] = [k for k in self.months if period.contains(parse_period(k).first)]
        return got

    def _slot(self, period: Period, subject: str, rng: random.Random) -> str:
        return rng.choice(self._in_range(period))

    def month(self, key: str) -> dict[str, list[tuple]]:
        """Every row submitted for month ``key`` (hazard follow-ups included), per record type."""
        if self._next_month >= len(self.months) or self.months[self._next_month] != key:
            expected = self.months[self._next_month] if self._next_month < len(self.months) else "no more months"
            raise ValueError(f"months must be generated in order: asked for {key}, expected {expected}")
        self._next_month += 1
        p = parse_period(key)
        out: dict[str, list[tuple]] = {tag: [] for tag in MONTH_TAGS}
        ctx = _MonthCtx(self, p)
        self._units_month(ctx, out)
        self._enterprises_month(ctx, out)
        self._complaints_month(ctx, out)
        out["hazard:rectified"] = self._pending.pop(key, [])
        out["accident"] = [self._accident_row(a) for a in self._accidents_by_month.get(key, [])]
        for tag, rows in out.items():
            self.stats.rows[tag.partition(":")[0]] += len(rows)
        return out

    def penalty_rows(self) -> list[tuple]:
        """The administrative penalty (行政处罚决定) for each planted accident, decided by its
        county 30 days after it, when that day lies in the generated range: under MEM Order
        No. 11 a blacklist listing follows one and is decided by the authority that imposed it."""
        last = parse_period(self.months[-1]).last
        rows = []
        for a in self.accidents:
            if not a.get("story") or not a["enterprise_id"]:
                continue
            day = a["occurred_at"].date() + dt.timedelta(days=30)
            if day > last:
                continue
            n = len(rows) + 1
            rows.append(
                (
                    f"P{a['unit_code']}-{day:%Y%m}-{n:02d}",
                    a["enterprise_id"],
                    a["unit_code"],
                    day.isoformat(),
                    "accident",
                    a["accident_id"],
                    "300000",
                    f"{self.unit_names[a['unit_code']]}应急罚〔{day.year}〕{n}号",
                    _at(day + dt.timedelta(days=2), "10:00:00"),
                )
            )
        self.stats.rows["penalty"] += len(rows)
        return rows

    def _accident_row(self, a: dict) -> tuple:
        return (
            a["accident_id"],
            a["unit_code"],
            a["enterprise_id"],
            a["occurred_at"].strftime("%Y-%m-%d %H:%M:%S"),
            "",  # known_at: blank, the principal learned of it when it occurred
            a["reported_at"].strftime("%Y-%m-%d %H:%M:%S"),
            str(a["deaths"]),
            str(a["serious_injuries"]),
            f"{a['direct_loss_10k_cny']:.1f}",
            a["declared_grade"],
            "true" if a["concealed"] else "false",
            a["description"],
            a.get("known_from", ""),  # 〔十五〕 planted by demo_reports: an accident known from a 12350 ticket
            a.get("source_ref", ""),
            "",  # near_miss_larger
            _iso(a.get("liability_found_on")),  # 〔十四〕 sent again once found (demo_liability)
            a["received_at"].strftime("%Y-%m-%d %H:%M:%S"),
        )

    def _bad(self, ctx: _MonthCtx, rt: str, row: list, kinds: tuple[str, ...], rng: random.Random) -> str:
        """Spoil ``row`` in place with one of ``kinds``; returns the kind (SPEC §3 row rules)."""
        if ctx.future is None:
            kinds = tuple(k for k in kinds if k != "future_date") or kinds
        kind = kinds[int(rng.random() * len(kinds))]
        cols = HEADERS[rt]
        if kind == "unknown_unit":
            row[cols.index("unit_code")] = UNKNOWN_UNIT
        elif kind == "invalid_credit_code":
            i = cols.index("enterprise_id")
            code = row[i]
            row[i] = code[:17] + CREDIT_ALPHABET[(CREDIT_ALPHABET.index(code[17]) + 7) % 31]
        elif kind == "future_date":
            row[cols.index(RECORD_TYPES[rt].date_column)] = ctx.future
        elif kind == "missing_element":
            col = ("responsible_person", "measures", "contingency_plan", "deadline", "funds_cny")[int(rng.random() * 5)]
            row[cols.index(col)] = ""
        elif kind == "deadline_before_found":
            found = dt.date.fromisoformat(row[cols.index("found_on")])
            row[cols.index("deadline")] = (found - dt.timedelta(days=3)).isoformat()
        self.stats.bad[rt] += 1
        if self.record_bad:
            id_col = cols[0]
            self.bad_rows.append({"record_type": rt, "id_column": id_col, "id": row[0], "kind": kind, "month": ctx.key})
        return kind

    def _units_month(self, ctx: _MonthCtx, out: dict[str, list[tuple]]) -> None:
        p, key, rng = ctx.period, ctx.key, self._rng("units", ctx.key)
        story = self.story
        forced_meeting_miss = set()
        if story:
            forced_meeting_miss = {self._offset_month(o) for o in story.meeting_miss_offsets}
        q, h, y = period_of(p.first, "quarterly"), period_of(p.first, "half_yearly"), period_of(p.first, "yearly")
        meetings, inspections, bulletins = out["meeting"], out["inspection"], out["bulletin"]

        def emit(
            rt: str,
            rows: list,
            row: list,
            obligation: str,
            subject: str,
            bad_kinds: tuple[str, ...],
            clean: bool = False,
        ) -> None:
            self.stats.planned[obligation] += 1
            if not clean and rng.random() < self.bad_rate:
                self._bad(ctx, rt, row, bad_kinds, rng)
                self.stats.not_evidence[obligation] += 1
            elif not clean and rng.random() < self.late_rate and ctx.late_ok:
                row[-1] = ctx.late_recv(rng)
                self.stats.late[rt] += 1
            rows.append(tuple(row))

        def omitted(obligation: str, subject: str) -> bool:
            if rng.random() < self._p_unit(subject):
                self.stats.planned[obligation] += 1
                self.stats.omitted[obligation] += 1
                return True
            return False

        for u in self.units:
            code, level = u.code, u.level
            gh = f"{code}:government_head"
            # Safety committee: monthly (league, county), quarterly with case reports (region).
            if level != "region":
                clean = bool(story) and code == story.meeting_county
                if clean and key in forced_meeting_miss:
                    self.stats.planned["SC-MEET-LOCAL"] += 1
                    self.stats.omitted["SC-MEET-LOCAL"] += 1
                elif clean or not omitted("SC-MEET-LOCAL", code):
                    day = ctx.day(rng)
                    emit(
                        "meeting",
                        meetings,
                        [
                            f"M{code}-{key}-SC",
                            code,
                            "safety_committee",
                            day.isoformat(),
                            "true",
                            "false",
                            "",
                            self.holder(gh, day),
                            f"{self.unit_names[code]}安委会纪要〔{key}〕",
                            ctx.recv(day, rng),
                        ],
                        "SC-MEET-LOCAL",
                        code,
                        ("unknown_unit", "future_date"),
                        clean=clean,
                    )
            elif self._slot(q, code, self._rng("regionsc", q.key)) == key:
                day = ctx.day(rng)
                pub = min(day + dt.timedelta(days=7), p.last)
                emit(
                    "meeting",
                    meetings,
                    [
                        f"M{code}-{q.key}-SC",
                        code,
                        "safety_committee",
                        day.isoformat(),
                        "true",
                        "true",
                        pub.isoformat(),
                        self.holder(gh, day),
                        f"内安委纪要〔{q.key}〕",
                        ctx.recv(pub, rng),
                    ],
                    "SC-MEET-REGION",
                    code,
                    (),
                    clean=True,
                )
            # Party standing committee and government executive meetings: 2 a year each.
            for body, obligation, role in (
                ("party_standing_committee", "PARTY-HEARS-SAFETY", "party_secretary"),
                ("government_executive_meeting", "GOV-HEARS-SAFETY", "government_head"),
            ):
                yrng = self._rng("yearly", body, code, y.key)
                months = self._in_range(y)
                picks = sorted([months[len(months) // 4], months[(3 * len(months)) // 4]])
                miss = [yrng.random() < self._p_unit(code) for _ in picks]
                for n, (m, missed) in enumerate(zip(picks, miss), 1):
                    if m != key:
                        continue
                    if missed:
                        self.stats.planned[obligation] += 1
                        self.stats.omitted[obligation] += 1
                        continue
                    day = ctx.day(rng)
                    emit(
                        "meeting",
                        meetings,
                        [
                            f"M{code}-{y.key}-{body[:3].upper()}{n}",
                            code,
                            body,
                            day.isoformat(),
                            "true",
                            "false",
                            "",
                            self.holder(f"{code}:{role}", day),
                            f"{self.unit_names[code]}会议纪要〔{key}-{n}〕",
                            ctx.recv(day, rng),
                        ],
                        obligation,
                        code,
                        ("unknown_unit", "future_date"),
                    )
            # Leaders' inspections: county monthly, league quarterly, region half-yearly (〔五〕).
            period, obligation = {
                "county": (p, "LEAD-INSPECT-COUNTY"),
                "league": (q, "LEAD-INSPECT-LEAGUE"),
                "region": (h, "LEAD-INSPECT-REGION"),
            }[level]
            for role in ("party_secretary", "government_head"):
                if level != "county" and self._slot(period, code, self._rng("insp", code, role, period.key)) != key:
                    continue
                if omitted(obligation, code):
                    continue
                day = ctx.day(rng)
                post = f"{code}:{role}"
                emit(
                    "inspection",
                    inspections,
                    [
                        f"I{code}-{role[:2].upper()}-{period.key}",
                        self.holder(post, day),
                        code,
                        day.isoformat(),
                        TARGETS[int(rng.random() * len(TARGETS))],
                        str(int(rng.random() * 9)),
                        f"督查报告〔{key}〕{code}",
                        "",  # a leader's inspection names no enforcement officers
                        ctx.recv(day, rng),
                    ],
                    obligation,
                    code,
                    ("unknown_unit", "future_date"),
                )
            # Monthly bulletin of the safety office (〔十五〕), issued early next month.
            if not omitted("BULLETIN-MONTHLY", code):
                issued = p.last + dt.timedelta(days=1 + int(rng.random() * 3))
                prefix = {"county": code, "league": code[:4], "region": code[:2]}[level]
                accs = [a for a in self._accidents_by_month.get(key, []) if a["unit_code"].startswith(prefix)]
                # Neither a concealed accident nor one its county never reported (demo_reports).
                shown = [a for a in accs if not a["concealed"] and not a.get("known_from")]
                emit(
                    "bulletin",
                    bulletins,
                    [
                        f"B{code}-{key}",
                        code,
                        key,
                        issued.isoformat(),
                        str(len(shown)),
                        str(sum(1 for a in shown if a["kind"] == "late")),
                        "0",
                        f"{self.unit_names[code]}安委办通报〔{key}〕",
                        _at(issued, TIMES[int(rng.random() * len(TIMES))]),
                    ],
                    "BULLETIN-MONTHLY",
                    code,
                    ("unknown_unit",),
                )
        # Department heads: monthly inspection (〔六〕).
        for d in self.departments:
            did, unit, duty = d[0], d[1], d[4]
            if not duty:  # exempt, but some still inspect
                if rng.random() < 0.5:
                    continue
            elif omitted("DEPT-HEAD-INSPECT", unit):
                continue
            day = ctx.day(rng)
            row = [
                f"I{did}-{key}",
                self.holder(did, day),
                unit,
                day.isoformat(),
                TARGETS[int(rng.random() * len(TARGETS))],
                str(int(rng.random() * 6)),
                f"检查报告〔{key}〕{did}",
                ";".join(self.officers_of.get(did, ())),  # 〔九〕 certified officers of the department
                ctx.recv(day, rng),
            ]
            if duty:
                emit("inspection", inspections, row, "DEPT-HEAD-INSPECT", unit, ("unknown_unit", "future_date"))
            else:
                inspections.append(tuple(row))

    def _enterprises_month(self, ctx: _MonthCtx, out: dict[str, list[tuple]]) -> None:
        """The hot loop of the synthetic set: self-checks, risk assessments and hazards."""
        p, key = ctx.period, ctx.key
        rng = self._rng("enterprises", key)
        rnd = rng.random
        q, y = period_of(p.first, "quarterly"), period_of(p.first, "yearly")
        qmonths = self._in_range(q)
        qslot_rng = self._rng("riskslot", q.key)  # same draws in every month of the quarter
        publish_q = period_of(parse_period(self._in_range(y)[-1]).first, "quarterly").key == q.key
        hi_rows, ra_rows, hz_rows = out["hazard_inspection"], out["risk_assessment"], out["hazard"]
        days, ndays, recv_on_time = ctx.days, ctx.ndays, ctx.recv_table
        late_ok, late_rate, bad_rate, ne_rate = ctx.late_ok, self.late_rate, self.bad_rate, self.not_evidence_rate
        stats = self.stats
        planned_hi = omitted_hi = ne_hi = planned_ra = omitted_ra = ne_ra = 0
        forced: set[str] = set()
        if self.story:
            forced = {self._offset_month(o) for o in self.story.selfcheck_miss_offsets}
        ym = key.replace("-", "")
        first, last = p.first, p.last
        hi_prefix, ra_prefix = f"HI-{ym}-", f"RA-{q.key}-"
        idx = self._idx
        nq = len(qmonths)
        qdraw = qslot_rng.random
        first_ord, last_ord = first.toordinal(), last.toordinal()
        full = ndays - 1
        common_lo, common_hi = bad_rate + ne_rate, (1 - late_rate) if late_ok else 2.0
        ents = self.enterprises
        if publish_q:  # the assessment of the year's last quarter is published 5 days later
            pub_table = []
            for d in range(ndays):
                pd = min(first + dt.timedelta(days=d + 5), y.last)
                pub_table.append((pd.isoformat(), _at(pd + dt.timedelta(days=1), "10:30:00")))
        for i, eid, reg_ord, closed_ord, p_miss, story in self._hot:
            qslot = int(qdraw() * nq)  # drawn for every enterprise, every month: stable slots
            qmiss = qdraw()
            if reg_ord > last_ord or closed_ord < first_ord:
                continue
            lo = reg_ord - first_ord if reg_ord > first_ord else 0
            hi = closed_ord - first_ord if closed_ord < last_ord else full
            # --- monthly self-check 〔四〕
            planned_hi += 1
            if story is None and rnd() < p_miss:
                omitted_hi += 1
            elif story == "missing_selfchecks" and key in forced:
                omitted_hi += 1
            else:
                d = lo + int(rnd() * (hi - lo + 1))
                r = rnd()
                if common_lo <= r <= common_hi or story:
                    # the common case: an on-time, valid self-check, built as a tuple at once
                    hi_rows.append(
                        (
                            hi_prefix + idx[i],
                            eid,
                            days[d],
                            "legal_representative",
                            SMALL[int(r * 40) % 4],
                            "true",
                            recv_on_time[d][int(r * 400) % 4],
                        )
                    )
                else:
                    row = [
                        hi_prefix + idx[i],
                        eid,
                        days[d],
                        "legal_representative",
                        SMALL[int(r * 40) % 4],
                        "true",
                        recv_on_time[d][int(r * 400) % 4],
                    ]
                    if r < bad_rate:
                        self._bad(ctx, "hazard_inspection", row, ("invalid_credit_code", "future_date"), rng)
                        ne_hi += 1
                    elif r < common_lo:
                        if r < bad_rate + ne_rate / 2:
                            row[3] = "other"  # led by a deputy: does not count (〔四〕)
                        else:
                            row[5] = "false"  # not archived: does not count
                        ne_hi += 1
                    else:
                        row[6] = ctx.late_recv(rng)
                        stats.late["hazard_inspection"] += 1
                    hi_rows.append(tuple(row))
            # --- quarterly risk assessment, published once a year 〔四〕
            if qmonths[qslot] == key:
                planned_ra += 1
                if not story and qmiss < p_miss:
                    omitted_ra += 1
                else:
                    d = lo + int(rnd() * (hi - lo + 1))
                    pub = ""
                    recv = recv_on_time[d][int(rnd() * 4)]
                    if publish_q:
                        pub, recv = pub_table[d]
                    row = [ra_prefix + idx[i], eid, days[d], SMALL[int(rnd() * 3)], pub, recv]
                    if not story and rnd() < bad_rate:
                        self._bad(ctx, "risk_assessment", row, ("invalid_credit_code",), rng)
                        ne_ra += 1
                    ra_rows.append(tuple(row))
            # --- hazards found this month, with a follow-up row once rectified 〔四〕〔十八〕
            if rnd() < 0.04 or (story == "overdue_hazard" and key == ctx.story_hazard_month):
                self._hazard(ctx, ents[i], i, lo, hi, hz_rows, rng)
        stats.planned["ENT-HAZARD-SELFCHECK"] += planned_hi
        stats.omitted["ENT-HAZARD-SELFCHECK"] += omitted_hi
        stats.not_evidence["ENT-HAZARD-SELFCHECK"] += ne_hi
        stats.planned["ENT-RISK-ASSESS"] += planned_ra
        stats.omitted["ENT-RISK-ASSESS"] += omitted_ra
        stats.not_evidence["ENT-RISK-ASSESS"] += ne_ra

    def _hazard(self, ctx: _MonthCtx, e: Ent, i: int, lo: int, hi: int, rows: list, rng: random.Random) -> None:
        rnd = rng.random
        d = lo + int(rnd() * (hi - lo + 1))
        found = ctx.period.first + dt.timedelta(days=d)
        planted = e.story == "overdue_hazard" and ctx.key == ctx.story_hazard_month
        grade = "major" if planted or (rnd() < 0.05 and ctx.random_major_ok) else "general"
        deadline = found + dt.timedelta(days=20 if planted else 15 + int(rnd() * 45))
        hid = f"H-{ctx.key.replace('-', '')}-{i:06d}" + ("-S" if planted else "")
        row = [
            hid,
            e.eid,
            found.isoformat(),
            grade,
            HAZARD_TEXT[int(rnd() * len(HAZARD_TEXT))],
            e.rep,
            f"{(1 + int(rnd() * 50)) * 1000:.2f}",
            MEASURES[int(rnd() * len(MEASURES))],
            deadline.isoformat(),
            "现场处置方案" if grade == "general" else "专项应急预案",
            "",
            "",
            _at(found + dt.timedelta(days=1), "11:00:00"),
        ]
        bad = False
        if not e.story and rnd() < self.bad_rate * 4:  # hazards carry most of the "五落实" mistakes
            self._bad(ctx, "hazard", row, ("missing_element", "deadline_before_found"), rng)
            bad = True
        rows.append(tuple(row))
        if planted or bad:
            return
        r = rnd()
        if self.story and grade == "major":
            r = 0.5  # the story's only overdue major hazard is the planted one
        if r < 0.04:
            return  # never rectified
        rectified = (
            found + dt.timedelta(days=1 + int(rnd() * (deadline - found).days))
            if r < 0.94
            else deadline + dt.timedelta(days=3 + int(rnd() * 30))
        )  # rectified late
        verified = rectified + dt.timedelta(days=1 + int(rnd() * 4))
        received = verified + dt.timedelta(days=1)
        month = f"{received.year:04d}-{received.month:02d}"
        if month not in self.months or received > self.range_last + dt.timedelta(days=3):
            return
        follow = list(row)
        follow[10], follow[11], follow[12] = rectified.isoformat(), verified.isoformat(), _at(received, "16:00:00")
        self._pending[month].append(tuple(follow))

    def _complaints_month(self, ctx: _MonthCtx, out: dict[str, list[tuple]]) -> None:
        rng = self._rng("complaints", ctx.key)
        rows = out["complaint"]
        cap = self.range_last + dt.timedelta(days=5)
        for n in range(self.complaints_per_month):
            county = self.counties[int(rng.random() * len(self.counties))]
            received = ctx.day(rng)
            investigated = received + dt.timedelta(days=2 + int(rng.random() * 5))
            late = rng.random() < 0.08
            concluded = received + dt.timedelta(
                days=(32 + int(rng.random() * 14)) if late else (6 + int(rng.random() * 12))
            )
            if investigated > cap:
                investigated = None
            if concluded > cap:
                concluded = None
            last = max(d for d in (received, investigated, concluded) if d)
            row = [
                f"T{ctx.key.replace('-', '')}{n + 1:05d}",
                county,
                received.isoformat(),
                _iso(investigated),
                _iso(concluded),
                OUTCOMES[int(rng.random() * len(OUTCOMES))] if concluded else "",
                _at(last + dt.timedelta(days=1), TIMES[int(rng.random() * len(TIMES))]),
            ]
            if rng.random() < self.bad_rate:
                self._bad(ctx, "complaint", row, ("unknown_unit",), rng)
            rows.append(tuple(row))


class _MonthCtx:
    """Precomputed strings of one month: days, on-time receipt times, the grace end."""

    def __init__(self, gen: Generator, period: Period):
        self.gen, self.period, self.key = gen, period, period.key
        self.ndays = period.last.day
        dates = [period.first + dt.timedelta(days=i) for i in range(self.ndays)]
        self.days = [d.isoformat() for d in dates]
        self.grace_end = gen._grace_end(period)
        # Rows arrive 0–3 days after their own date, never after the grace end.
        self.recv_table = [
            [
                _at(
                    min(d + dt.timedelta(days=k), self.grace_end or d + dt.timedelta(days=k)),
                    TIMES[(i * 5 + k * 7) % len(TIMES)],
                )
                for k in range(4)
            ]
            for i, d in enumerate(dates)
        ]
        # Late rows only for months whose grace is known and ended before the range does.
        self.late_ok = self.grace_end is not None and period.key != gen.months[-1]
        # Future-dated bad rows only in the last month, 45 days after arrival (and after "now").
        fut = period.last + dt.timedelta(days=45)
        self.future = fut.isoformat() if period.key == gen.months[-1] and fut.year <= gen._cal_max_year else None
        story = gen.story
        self.story_hazard_month = gen._offset_month(story.hazard_offset) if story else None
        # Story mode: random major hazards only where their follow-up surely lands in range.
        self.random_major_ok = not story or period.key in gen.months[:-3]

    def day(self, rng: random.Random) -> dt.date:
        return self.period.first + dt.timedelta(days=int(rng.random() * self.ndays))

    def recv(self, day: dt.date, rng: random.Random) -> str:
        return (
            self.recv_table[(day - self.period.first).days][int(rng.random() * 4)]
            if self.period.contains(day)
            else _at(day + dt.timedelta(days=1), "10:00:00")
        )

    def late_recv(self, rng: random.Random) -> str:
        return _at(
            self.grace_end + dt.timedelta(days=2 + int(rng.random() * 20)), TIMES[int(rng.random() * len(TIMES))]
        )


# --------------------------------------------------------------------------- writing files


def write_csv(path: Path, header: tuple[str, ...], rows, *, encoding: str = "utf-8") -> int:
    """CSV as ``csv.writer`` writes it (minimal quoting, ``\\n`` line ends, byte-stable).

    Fast path: our values rarely need quoting, so the rows are joined in C and the text is
    checked — exactly ``ncols - 1`` commas per line, no quote or line break inside a value;
    if the check fails the csv module writes the file instead.
    """
    rows = rows if isinstance(rows, list) else list(rows)
    with path.open("w", encoding=encoding, newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        if rows:
            text = "\n".join(map(",".join, rows))
            if (
                text.count(",") == len(rows) * (len(header) - 1)
                and text.count("\n") == len(rows) - 1
                and '"' not in text
                and "\r" not in text
                and all(len(r) == len(header) for r in rows[:1])
            ):
                f.write(text)
                f.write("\n")
            else:
                w.writerows(rows)
    return len(rows)


def _chinese_headers(header: tuple[str, ...], config_dir: Path | None) -> tuple[str, ...]:
    """Canonical → the first Chinese alias of config/aliases.yaml (canonical if it has none)."""
    import yaml

    if config_dir is None:
        from safegov.core.settings import get_settings

        config_dir = get_settings().config_dir
    path = Path(config_dir) / "aliases.yaml"
    aliases = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("columns", {}) if path.exists() else {}
    return tuple((aliases.get(c) or [c])[0] for c in header)


_TYPED = {name: {c.name: c.type for c in rt.columns} for name, rt in RECORD_TYPES.items()}


def _json_value(rt: str, col: str, value: str):
    """JSON Lines carry real JSON types: numbers, booleans, null for empty."""
    if value == "":
        return None
    kind = _TYPED[rt].get(col, "str")
    if kind == "int":
        return int(value)
    if kind == "float":
        return float(value)
    if kind == "bool":
        return value == "true"
    return value


def write_jsonl(path: Path, rt: str, rows: list[tuple]) -> None:
    header = HEADERS[rt]
    with path.open("w", encoding="utf-8", newline="\n") as f:
        for row in rows:
            f.write(
                json.dumps({c: _json_value(rt, c, v) for c, v in zip(header, row)}, ensure_ascii=False, sort_keys=False)
                + "\n"
            )


_FIXED_ZIP_TIME = (2017, 1, 26, 0, 0, 0)  # the decision's date; keeps XLSX bytes stable


def write_xlsx(path: Path, rt: str, rows: list[tuple]) -> None:
    """First sheet, dates as real date cells; zip entries and core properties time-stamped
    with a fixed moment so that the file is byte-identical run after run."""
    from openpyxl import Workbook

    header = HEADERS[rt]
    types = _TYPED[rt]
    wb = Workbook()
    ws = wb.active
    ws.title = rt
    ws.append(list(header))
    for row in rows:
        cells = []
        for c, v in zip(header, row):
            if v == "":
                cells.append(None)
            elif types.get(c) == "date":
                cells.append(dt.date.fromisoformat(v))
            elif c == "received_at":
                cells.append(dt.datetime.fromisoformat(v))
            else:
                cells.append(v)
        ws.append(cells)
    fixed = dt.datetime(*_FIXED_ZIP_TIME)
    wb.properties.creator = "safegov demo"
    wb.properties.created = fixed
    wb.properties.modified = fixed
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    stamp = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = stamp.sub(rb"\g<1>2017-01-26T00:00:00Z\g<2>", data)
            zi = zipfile.ZipInfo(info.filename, date_time=_FIXED_ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            dst.writestr(zi, data)


# --------------------------------------------------------------------------- the demo


def write_demo(
    inbox: Path, *, until: str | None = None, months: int = 24, seed: int = 7, config_dir: Path | None = None
) -> dict:
    """Write the demo data set into ``inbox``; returns counts and the planted story.

    Files: ``department_registry.csv``, ``leader_registry.csv``, ``enterprise_registry.csv``,
    ``milestone_2017-2018.xlsx``, ``accident_<first>_<last>.jsonl`` and one file per record
    type per month (``meeting_2025-03.csv`` …). The first month's bulletin file has a UTF-8
    BOM; one complaint file is GB18030 with Chinese headers (config/aliases.yaml).
    """
    until = until or default_until()
    if months < 1:
        raise ValueError("months must be ≥ 1")
    last = parse_period(until)
    if last.cadence != "monthly":
        raise ValueError(f"until must be a month YYYY-MM, got {until!r}")
    first = _month_add(last.key, -(months - 1))
    inbox = Path(inbox)
    inbox.mkdir(parents=True, exist_ok=True)
    story = Story()
    # compliance 0.88 on the knobs gives about 90 % of obligations met: the story adds misses.
    gen = Generator(
        seed=seed,
        first=first,
        last=last.key,
        enterprises=300,
        departments=100,
        story=story,
        compliance=0.88,
        record_bad=True,
        config_dir=config_dir,
    )
    files: list[tuple[str, str]] = []  # (record type, file name)

    def add(rt: str, name: str) -> Path:
        files.append((rt, name))
        return inbox / name

    regs = gen.registry_rows()
    for rt in ("department", "leader", "enterprise"):
        write_csv(add(rt, f"{rt}_registry.csv"), HEADERS[rt], regs[rt])
    write_csv(add("staff", "staff_registry.csv"), HEADERS["staff"], gen.staff_rows())
    write_csv(add("training", "training_history.csv"), HEADERS["training"], gen.training_rows())
    # Sorts before enterprise_registry.csv: the first versions are loaded before the closing ones.
    write_csv(add("enterprise", "enterprise_opened.csv"), HEADERS["enterprise"], gen.opened_rows())
    update = gen.supervision_update_rows()
    if update:  # sorts after enterprise_registry.csv: loaded after it
        write_csv(add("enterprise", "enterprise_supervision_update.csv"), HEADERS["enterprise"], update)
    write_xlsx(add("milestone", "milestone_2017-2018.xlsx"), "milestone", gen.milestone_rows())
    for year, plan_rows in gen.plan_rows().items():
        write_csv(add("plan", f"plan_{year}.csv"), HEADERS["plan"], plan_rows)
    demo_reports.write(gen, add, write_csv, HEADERS["accident_report"])  # 〔十五〕 before the accidents are written
    demo_drills.write(gen, add, write_csv, HEADERS["drill"])  # 〔十三〕
    gb_month = gen.months[len(gen.months) // 2]
    accidents: list[tuple] = []
    for key in gen.months:
        rows = gen.month(key)
        accidents.extend(rows.pop("accident"))
        for tag in MONTH_TAGS:
            rt = tag.partition(":")[0]
            if rt == "accident" or not rows.get(tag):
                continue
            if rt == "bulletin" and key == gen.months[0]:
                write_csv(add(rt, file_name(tag, key)), HEADERS[rt], rows[tag], encoding="utf-8-sig")
            elif rt == "complaint" and key == gb_month:
                write_csv(
                    add(rt, file_name(tag, key)),
                    _chinese_headers(HEADERS[rt], config_dir),
                    rows[tag],
                    encoding="gb18030",
                )
            else:
                write_csv(add(rt, file_name(tag, key)), HEADERS[rt], rows[tag])
    if accidents:  # a short demo may have none; an empty file would be refused
        write_jsonl(add("accident", f"accident_{gen.months[0]}_{gen.months[-1]}.jsonl"), "accident", accidents)
    penalties = gen.penalty_rows()
    if penalties:  # submitted with Chinese headers (config/aliases.yaml)
        write_csv(
            add("penalty", f"penalty_{gen.months[0]}_{gen.months[-1]}.csv"),
            _chinese_headers(HEADERS["penalty"], config_dir),
            penalties,
        )
    money_known = write_money_demo(gen, add, write_csv, HEADERS, config_dir)  # 〔十〕〔十六〕
    liability = demo_liability.write(  # 〔十四〕〔十八〕 (issue 16 items 4, 7)
        gen,
        add,
        lambda p, rt, rows, zh: write_csv(p, _chinese_headers(HEADERS[rt], config_dir) if zh else HEADERS[rt], rows),
    )
    order = {rt: i for i, rt in enumerate(LOAD_ORDER)}
    files.sort(key=lambda f: (order[f[0]], f[1]))
    for b in gen.bad_rows:  # bad rows are only ever planted in plain files named <type>_<month or year>
        b["file"] = file_name(b["record_type"], b["month"])
    summary = _summary(gen, inbox, files, story, seed)
    summary["known_misses"] += money_known
    summary["known_misses"] += liability.pop("known_misses")
    return summary | liability


def _summary(gen: Generator, inbox: Path, files: list[tuple[str, str]], story: Story, seed: int) -> dict:
    s = gen.stats
    known: list[dict] = []
    m = [gen._offset_month(o) for o in story.meeting_miss_offsets]
    if all(m):
        known.append(
            {
                "obligation_id": "SC-MEET-LOCAL",
                "subject_kind": "unit",
                "subject_id": story.meeting_county,
                "periods": m,
                "reason": "no_records",
                "expect": "notice, then interview (2 in a row), then admonishment (3 in a row)",
            }
        )
    ent = gen.story_ents["missing_selfchecks"]
    m = [gen._offset_month(o) for o in story.selfcheck_miss_offsets]
    known.append(
        {
            "obligation_id": "ENT-HAZARD-SELFCHECK",
            "subject_kind": "enterprise",
            "subject_id": ent.eid,
            "name": ent.name,
            "periods": [k for k in m if k],
            "reason": "no_records",
            "expect": "notice, interview, admonishment",
        }
    )
    known.append(
        {
            "obligation_id": "RESCUE-TEAM-2017",
            "subject_kind": "unit",
            "subject_id": story.rescue_team_missing,
            "periods": ["2017-12-31"],
            "reason": "no_records",
            "expect": "missed (historical)",
        }
    )
    # 〔八〕 (issue 16): supervising bodies and enforcement plans of the year before until's.
    story_year = str(int(gen.last.key[:4]) - 1)
    for key, status, reason in (
        (story.unsupervised_story, "missed", "unsupervised: 1"),
        (story.supervised_late_story, "met_late", "late_records"),
    ):
        e = gen.story_ents[key]
        known.append(
            {
                "obligation_id": "ENT-SUPERVISOR",
                "subject_kind": "unit",
                "subject_id": e.county,
                "periods": [story_year],
                "reason": reason,
                "status": status,
                "enterprise_id": e.eid,
                "name": e.name,
                "expect": f"{status}: {e.name} names no supervising department in time",
            }
        )
    known.append(
        {
            "obligation_id": "ENFORCE-PLAN-UNIT",
            "subject_kind": "unit",
            "subject_id": story.plan_missing_county,
            "periods": [story_year],
            "reason": "no_records",
            "expect": "missed, notice",
        }
    )
    for dept, status, reason in (
        (story.plan_missing_department, "missed", "no_records"),
        (story.plan_late_department, "met_late", "late_records"),
    ):
        known.append(
            {
                "obligation_id": "ENFORCE-PLAN-DEPT",
                "subject_kind": "department",
                "subject_id": dept,
                "periods": [story_year],
                "reason": reason,
                "status": status,
                "expect": status,
            }
        )
    years = [str(int(story_year) - 1), story_year]
    for sid, status, periods, reason in (
        (story.untrained_officer, "missed", years, "no_records"),
        (story.late_trained_officer, "met_late", [story_year], "late_records"),
    ):
        known.append(
            {
                "obligation_id": "STAFF-ROTATION-TRAINING",
                "subject_kind": "staff",
                "subject_id": sid,
                "periods": periods,
                "reason": reason,
                "status": status,
                "expect": "missed two years running: notice, then interview" if status == "missed" else status,
            }
        )
    hazard_month = gen._offset_month(story.hazard_offset)
    hz = gen.story_ents["overdue_hazard"]
    overdue = None
    if hazard_month:
        overdue = {
            "hazard_id": f"H-{hazard_month.replace('-', '')}-{gen.enterprises.index(hz):06d}-S",
            "enterprise_id": hz.eid,
            "name": hz.name,
            "county": hz.county,
            "grade": "major",
            "expect": "HAZARD-RECTIFY missed; MAJOR-HAZARD-OVERDUE admonishment + enforcement",
        }
        known.append(
            {
                "obligation_id": "HAZARD-RECTIFY",
                "subject_kind": "hazard",
                "subject_id": overdue["hazard_id"],
                "periods": [overdue["hazard_id"]],
                "reason": "not_rectified",
                "expect": overdue["expect"],
            }
        )
    accidents = [
        {
            "accident_id": a["accident_id"],
            "unit_code": a["unit_code"],
            "enterprise_id": a["enterprise_id"],
            "grade": grade_of(a["deaths"], a["serious_injuries"], a["direct_loss_10k_cny"]),
            "occurred_at": a["occurred_at"].isoformat(sep=" "),
            "report": a["kind"],
            "story": a.get("story"),
        }
        for a in gen.accidents
    ]
    story_acc = {a["story"]: a for a in accidents if a["story"]}
    blacklist = []
    # MEM Order No. 11 (from 2023-10-01): a single larger accident is no ground; a concealed
    # report at an enterprise of its art. 2 industries (the planted one is a chemical works) is.
    for key, trigger in (("concealed_accident", "concealed_report"),):
        if key in story_acc:
            blacklist.append(
                {
                    "enterprise_id": story_acc[key]["enterprise_id"],
                    "name": gen.story_ents[key].name,
                    "trigger": trigger,
                    "accident_id": story_acc[key]["accident_id"],
                }
            )
    blacklist.extend(
        {
            "enterprise_id": a["enterprise_id"],
            "trigger": "major_accident" if a["grade"] in ("major", "especially_major") else "concealed_report",
            "accident_id": a["accident_id"],
        }
        for a in accidents
        if not a["story"] and (a["grade"] in ("major", "especially_major") or a["report"] == "concealed")
    )
    term_changes = []
    for post, chain in gen.holders.items():
        for (_s0, _e0, l0), (s1, _e1, l1) in zip(chain, chain[1:]):
            term_changes.append(
                {
                    "post": post if ":" in post else f"department:{post}",
                    "from_leader": l0,
                    "to_leader": l1,
                    "on": s1.isoformat(),
                }
            )
    return {
        "inbox": str(inbox),
        "seed": seed,
        "first": gen.months[0],
        "until": gen.months[-1],
        "months": gen.months,
        "files": [name for _, name in files],
        "load_order": list(LOAD_ORDER),
        "counts": dict(sorted(s.rows.items())),
        "rows_total": sum(s.rows.values()),
        "bad_rows": gen.bad_rows,
        "bad_counts": dict(sorted(s.bad.items())),
        "late_counts": dict(sorted(s.late.items())),
        "obligations": {
            "planned": dict(sorted(s.planned.items())),
            "omitted": dict(sorted(s.omitted.items())),
            "not_evidence": dict(sorted(s.not_evidence.items())),
            "compliance": s.compliance(),
        },
        "units": len(gen.units),
        "departments": len(gen.departments),
        "departments_without_safety_duty": [d[0] for d in gen.departments if not d[4]],
        "enterprises": len(gen.enterprises),
        "enterprises_registered_in_range": [e.eid for e in gen.enterprises if e.registered_on >= gen.range_first],
        "enterprises_closed_in_range": [e.eid for e in gen.enterprises if e.closed_on],
        "weak_units": sorted(gen.weak_units),
        "known_misses": known,
        "accidents": accidents,
        "dual_interviews": [
            {"rule_id": "DUAL-INTERVIEW-COUNTY", "unit_code": a["unit_code"], "accident_id": a["accident_id"]}
            for a in accidents
            if a["grade"] == "larger"
        ],
        "reporting_violations": [a["accident_id"] for a in accidents if a["report"] in ("late", "concealed")],
        "overdue_major_hazard": overdue,
        "blacklist_expected": blacklist,
        "late_tickets": _late_tickets(inbox, files),
        "term_changes": term_changes,
        "story_enterprises": {
            k: {"enterprise_id": e.eid, "name": e.name, "county": e.county} for k, e in gen.story_ents.items()
        },
    }


def _late_tickets(inbox: Path, files: list[tuple[str, str]]) -> list[str]:
    """Tickets concluded after 15 working days, or still open 15 working days after receipt."""
    from safegov.core.periods import working_days_between

    out = []
    for rt, name in files:
        if rt != "complaint":
            continue
        path = inbox / name
        raw = path.read_bytes()
        text = raw.decode("gb18030") if not raw.startswith(b"ticket_id") else raw.decode("utf-8")
        rows = list(csv.reader(io.StringIO(text)))
        for row in rows[1:]:
            ticket, unit, received, _inv, concluded = row[:5]
            if unit == UNKNOWN_UNIT:
                continue
            try:
                end = dt.date.fromisoformat(concluded) if concluded else None
                if end and working_days_between(dt.date.fromisoformat(received), end) > 15:
                    out.append(ticket)
            except CalendarRangeError:
                continue
    return out
