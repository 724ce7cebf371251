"""The page's words in Chinese (default) and English (``?lang=en``)."""

from __future__ import annotations

from typing import Any

from safegov.core.words import CASE_KINDS as CASE_KIND_CODES
from safegov.core.words import WORDS

STRINGS: dict[str, tuple[str, str]] = {
    "title": ("安全生产治理", "Safety governance"),
    "overview": ("履职热力图", "Compliance heatmap"),
    "cases": ("待办案件", "Open cases"),
    "blacklist": ("严重失信主体名单", "Blacklist"),
    "quality": ("数据质量", "Data quality"),
    "outbox": ("邮件发件箱", "Outbox"),
    "bulletins": ("信息通报", "Bulletins"),
    "signed_in_as": ("当前用户", "Signed in as"),
    "scope": ("可见范围", "Scope"),
    "scope_all": ("全区", "whole region"),
    "scope_admin": ("管理员（全区，只读）", "administrator (whole region, read-only)"),
    "calendar_banner": ("日历预警", "Calendar warning"),
    "unmapped": (
        "您的账号尚未关联到任何单位，因此看不到任何数据。请联系管理员在 config/dashboard_users.yaml 中登记。",
        "Your account is not mapped to any unit, so you see no data. "
        "Ask the administrator to add you to config/dashboard_users.yaml.",
    ),
    "obligation": ("履职事项", "Obligation"),
    "from": ("起", "From"),
    "to": ("止", "To"),
    "show": ("显示", "Show"),
    "no_data": ("暂无数据", "No data"),
    "legend_hint": (
        "格内数字：已履职/已判定；颜色取最差状态，浅红表示少数对象未履职；点击格子查看详情",
        "Cell: met/decided; colour = worst status, light red = only a few subjects missed; click a cell for details",
    ),
    "trend": ("各盟市履职率趋势（所选事项）", "Compliance rate per league/city over time (selected obligation)"),
    "cases_by_kind": ("每月新立案件（按类型）", "Cases opened per month by kind"),
    "detail": ("详情", "Detail"),
    "evaluations": ("判定结果", "Evaluations"),
    "records": ("依据记录", "Evidence records"),
    "rejected_rows": ("被退回的报送行", "Rejected submitted rows"),
    "subject": ("对象", "Subject"),
    "period": ("期间", "Period"),
    "status": ("状态", "Status"),
    "counted": ("计数", "Counted"),
    "required": ("要求", "Required"),
    "due_on": ("截止日期", "Due on"),
    "reason": ("原因", "Reason"),
    "evidence": ("证据", "Evidence"),
    "responsible": ("责任人", "Responsible"),
    "unit": ("单位", "Unit"),
    "month": ("月份", "Month"),
    "kind": ("类型", "Kind"),
    "rule": ("规则", "Rule"),
    "state": ("状态", "State"),
    "opened_on": ("立案日期", "Opened on"),
    "persons": ("涉及人员", "Persons"),
    "approval": ("审批", "Approval"),
    "open_in_airflow": ("在 Airflow 中审批", "Approve in Airflow"),
    "run": ("DAG 运行", "DAG run"),
    "all_required_actions": ("全部待审批事项", "All required actions"),
    "search": ("搜索", "Search"),
    "all_states": ("全部状态", "All states"),
    "filter": ("筛选", "Filter"),
    "enterprise": ("企业", "Enterprise"),
    "trigger": ("列入事由", "Trigger"),
    "listed_on": ("列入日期", "Listed on"),
    "expires_on": ("到期日期", "Expires on"),
    "removed_on": ("移出日期", "Removed on"),
    "scopes": ("限制范围", "Restriction scopes"),
    "check": ("限制查询", "Restriction check"),
    "date": ("日期", "Date"),
    "restricted": ("受限", "Restricted"),
    "not_restricted": ("不受限", "Not restricted"),
    "rows": ("报送行数", "Rows"),
    "rate": ("退回率", "Rejection rate"),
    "record_types": ("记录类型", "Record types"),
    "top_rules": ("主要原因", "Top reasons"),
    "data_docs": ("数据校验文档（Data Docs）", "Validation reports (Data Docs)"),
    "to_email": ("收件人", "To"),
    "attempts": ("尝试次数", "Attempts"),
    "purpose": ("用途", "Purpose"),
    "step": ("步骤", "Step"),
    "mail_subject": ("邮件主题", "Subject"),
    "draft": ("草稿", "Draft"),
    "files": ("文件", "Files"),
    "lang_switch": ("English", "中文"),
    "download": ("下载", "Download"),
    "load_ms": ("页面生成耗时", "Page built in"),
    "none": ("无", "none"),
    "region": ("自治区", "Region"),
    "pages": ("分页", "Pages"),
    "first_page": ("首页", "First page"),
    "prev_page": ("上一页", "Previous page"),
    "next_page": ("下一页", "Next page"),
    "last_page": ("末页", "Last page"),
    "page_of": ("第 %d / %d 页（第 %d–%d 条，共 %d 条）", "Page %d of %d (rows %d–%d of %d)"),
    "file_name": ("文件名", "File"),
    "row_number": ("行号", "Row"),
    "values": ("报送内容", "Values"),
    "table_of": ("数据表", "Data table"),
    "created_at": ("生成时间", "Created"),
    "rejected_count": ("退回行数", "Rejected rows"),
    "check_listed": ("因%s（%s）列入名单", "listed for %s (%s)"),
    "check_not_listed": ("未列入严重失信主体名单", "not on the blacklist"),
    "check_other_scope": ("名单记录不限制该领域", "the listing does not restrict this field"),
    # Coded states, kinds and subject kinds: safegov.core.words.WORDS (the one table).
}

# The Chinese column headers of the spreadsheet exports (``--format xlsx``), by column id;
# a column the page already names (``status``, ``state``…) takes its label from STRINGS.
COLUMNS: dict[str, str] = {
    "obligation_id": "履职事项编号",
    "subject_kind": "对象类型",
    "subject_id": "对象编号",
    "case_id": "案件编号",
    "rule_id": "规则编号",
    "historical": "历史案件",
    "enterprise_id": "统一社会信用代码",
    "enterprise_name": "企业名称",
    "unit_code": "单位代码",
    "unit_name": "单位名称",
    "notified_on": "告知日期",
    "repair_eligible_on": "可申请信用修复日期",
    "decided_by": "决定机关或决定人",
    "legal_basis": "依据（规则@施行日期）",
    "ground": "列入依据（规则编号）",
    "penalty_id": "行政处罚编号",
    "file_name": "文件名",
    "file_id": "文件编号",
    "row_number": "行号",
    "record_type": "记录类型",
    "received_at": "接收时间",
    "leader_id": "领导干部编号",
    "leader_name": "领导干部姓名",
    "subject_name": "对象名称",
    "persons_names": "涉及人员姓名",
    "record_date": "记录日期",
    "column": "字段",
    "value": "报送值",
    "message": "说明",
    "raw": "原始报送行",
    "year": "年度",
    "name": "单位名称",
    "level": "层级",
    "flagged": "一票否决",
    "major_accidents": "重大及以上事故",
    "admonishments": "诫勉谈话案件（已批准）",
    "unreviewed_admonishments": "未复核的历史诫勉谈话案件",
    "compliance_rate": "履职率",
    "case_count": "案件数",
    "id": "编号",
    "recipient": "收件对象编号",
    "cc": "抄送",
    "last_status": "最近一次发送的状态码",
    "next_attempt_at": "下次重试时间",
}

CASE_KINDS = {k: WORDS[k] for k in CASE_KIND_CODES}

SCOPES = {
    "operations": ("经营", "operations"),
    "project_approval": ("项目核准", "project approval"),
    "investment_financing": ("投融资", "investment and financing"),
    "government_procurement": ("政府采购", "government procurement"),
    "bidding": ("招投标", "bidding"),
    "land_transfer": ("土地出让", "land transfer"),
    "honours": ("授予荣誉", "honours"),
    "fiscal_subsidies": ("财政补贴和政策性资金", "fiscal subsidies and policy funds"),
    "import_export": ("进出口", "import and export"),
    "entry_exit": ("出入境", "entry and exit"),
    "qualification_review": ("资质审核", "qualification review"),
}


def spreadsheet_words() -> tuple[dict[str, str], dict[str, Any]]:
    """The Chinese headers of every export column and the translations of its coded columns
    (states, reasons, kinds, triggers, scopes, yes/no), for ``reports.xlsx.write_xlsx``."""
    from safegov.accountability.blacklist import TRIGGER_NAMES
    from safegov.core.words import fmt_date, fmt_datetime, fmt_period, word
    from safegov.evaluation.reasons import reason_zh
    from safegov.reports.bulletin import LEVEL_NAMES
    from safegov.reports.xlsx import Reading

    t = translator("zh")
    labels = {k: zh for k, (zh, _) in (WORDS | STRINGS).items()} | COLUMNS
    labels["kind"] = "案件类型"

    def yes_no(value: Any) -> str:
        return t("yes") if value in (True, "true") else t("no")

    def coded(value: Any) -> str:
        return t(value) if value else ""

    def scopes(value: Any) -> str:
        return "、".join(t(s) for s in str(value or "").split(";") if s)

    # Dates and times as people read them (Beijing time), beside the CSV's value.
    days = Reading(fmt_date)
    dated: dict[str, Any] = {
        c: days for c in ("opened_on", "notified_on", "listed_on", "repair_eligible_on", "expires_on", "removed_on")
    }
    dated |= {"record_date": days, "received_at": Reading(fmt_datetime)}
    translations: dict[str, Any] = dated | {
        "period": lambda v: fmt_period(v) if v else "",
        "rule": lambda v: word(v, ns="rule") if v else "",
        "record_type": lambda v: word(v, ns="record") if v else "",
        "status": coded,
        "state": coded,
        "kind": coded,
        "reason": lambda r: reason_zh(r) if r else "",
        "trigger": lambda v: TRIGGER_NAMES[v] if v else "",
        "scopes": scopes,
        "level": lambda v: LEVEL_NAMES[v] if v else "",
        "subject_kind": coded,
        "historical": yes_no,
        "flagged": yes_no,
    }
    return labels, translations


def translator(lang: str):
    i = 1 if lang == "en" else 0

    def t(key: str) -> str:
        for table in (STRINGS, WORDS, SCOPES):
            if key in table:
                return table[key][i]
        return key

    return t
