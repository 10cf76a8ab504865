"""Domain words and their Chinese labels, in one place (the UI and the exports read them from here).

Each word is a ``StrEnum`` (its value is what the database stores, so ``Role.OFFICER == "officer"``) with a
label dict beside it. Every layer imports them from here (``store`` and ``engine`` keep no re-exports).
"""

from __future__ import annotations

from enum import StrEnum


def _labels(labels: dict[str, str]) -> dict[str, str]:
    """A label dict keyed by plain strings (what the database and the widgets hold)."""
    return {str(k): v for k, v in labels.items()}


def _values(enum: type[StrEnum]) -> tuple[str, ...]:
    return tuple(str(m) for m in enum)


class Role(StrEnum):
    OFFICER = "officer"
    LEADER = "leader"
    COORDINATOR = "coordinator"
    ADMIN = "admin"


ROLES: tuple[str, ...] = _values(Role)
ROLE_LABELS: dict[str, str] = _labels(
    {
        Role.OFFICER: "执法人员",
        Role.LEADER: "领导干部",
        Role.COORDINATOR: "培训管理员",
        Role.ADMIN: "系统管理员",
    }
)
LEARNER_ROLES: tuple[str, ...] = (Role.OFFICER.value, Role.LEADER.value)  # who takes exams, practises and studies
STAFF_ROLES: tuple[str, ...] = (Role.COORDINATOR.value, Role.ADMIN.value)  # who runs campaigns, reads the dashboard


class QuestionType(StrEnum):
    SINGLE = "single"
    MULTIPLE = "multiple"
    JUDGE = "judge"


QUESTION_TYPES: tuple[str, ...] = _values(QuestionType)
QUESTION_TYPE_LABELS: dict[str, str] = _labels(
    {
        QuestionType.SINGLE: "单选题",
        QuestionType.MULTIPLE: "多选题",
        QuestionType.JUDGE: "判断题",
    }
)


class AttemptState(StrEnum):
    IN_PROGRESS = "in_progress"
    FINISHED = "finished"


class FinishedBy(StrEnum):
    SUBMIT = "submit"  # the officer pressed 交卷
    TIMEOUT = "timeout"  # closed at its deadline (by the sweep, or when the officer started again)


class AssignmentStatus(StrEnum):
    """Where an assigned person stands in a campaign (engine.deadlines.assignment_state)."""

    NOT_OPEN = "not_open"
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    OVERDUE = "overdue"


ASSIGNMENT_STATUS_LABELS: dict[str, str] = _labels(
    {
        AssignmentStatus.NOT_OPEN: "未开放",
        AssignmentStatus.NOT_STARTED: "未开始",
        AssignmentStatus.IN_PROGRESS: "进行中",
        AssignmentStatus.DONE: "已完成",
        AssignmentStatus.OVERDUE: "已逾期",
    }
)


class CampaignStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CLOSED = "closed"


CAMPAIGN_STATUSES: tuple[str, ...] = _values(CampaignStatus)
CAMPAIGN_STATUS_LABELS: dict[str, str] = _labels(
    {
        CampaignStatus.DRAFT: "草稿",
        CampaignStatus.PUBLISHED: "已发布",
        CampaignStatus.CLOSED: "已结束",
    }
)


class Audience(StrEnum):
    ALL_VALID = "all_valid"
    UNITS = "units"
    LEADERS = "leaders"
    NEW_CERTIFIED = "new_certified"


AUDIENCES: tuple[str, ...] = _values(Audience)
AUDIENCE_LABELS: dict[str, str] = _labels(
    {
        Audience.ALL_VALID: "全体有效持证执法人员",
        Audience.UNITS: "指定单位",
        Audience.LEADERS: "领导干部",
        Audience.NEW_CERTIFIED: "本年度新取证执法人员",
    }
)


class ReviewPolicy(StrEnum):
    NONE = "none"
    AFTER_SUBMIT = "after_submit"
    AFTER_CLOSE = "after_close"


REVIEW_POLICIES: tuple[str, ...] = _values(ReviewPolicy)
REVIEW_LABELS: dict[str, str] = _labels(
    {
        ReviewPolicy.NONE: "不公布答案",
        ReviewPolicy.AFTER_SUBMIT: "交卷后公布",
        ReviewPolicy.AFTER_CLOSE: "考试截止后公布",
    }
)


class UnitKind(StrEnum):
    ENFORCEMENT = "enforcement"
    TOWN = "town"


UNIT_KINDS: tuple[str, ...] = _values(UnitKind)
UNIT_KIND_LABELS: dict[str, str] = _labels({UnitKind.ENFORCEMENT: "行政执法单位", UnitKind.TOWN: "镇（街道）"})


class GradingMethod(StrEnum):
    """How a campaign's grade combines the scores of a person's finished attempts."""

    HIGHEST = "highest"
    FIRST = "first"
    LAST = "last"
    AVERAGE = "average"


GRADING_METHODS: tuple[str, ...] = _values(GradingMethod)
GRADING_LABELS: dict[str, str] = _labels(
    {
        GradingMethod.HIGHEST: "取最高分",
        GradingMethod.FIRST: "取首次",
        GradingMethod.LAST: "取末次",
        GradingMethod.AVERAGE: "取平均分",
    }
)

CERT_STATUSES = ("有效", "注销", "过期")  # 执法证 status as the roster writes it (stored in Chinese)

AUDIT_EVENTS = {
    "login": "登录",
    "logout": "退出登录",
    "lockout": "账号锁定",
    "login_throttle": "登录限流",
    "unlock": "解除锁定",
    "password_change": "修改密码",
    "password_reset": "重置密码",
    "account_create": "创建账号",
    "person_deactivate": "停用账号",
    "person_export": "导出个人信息",
    "roster_import": "导入名册",
    "roster_undo": "撤销名册导入",
    "unit_create": "新增单位",
    "campaign_create": "创建培训任务",
    "campaign_publish": "发布培训任务",
    "campaign_refresh": "刷新参训名单",
    "campaign_extend": "延期",
    "campaign_close": "结束培训任务",
    "campaign_reopen": "重新开放培训任务",
    "regrade": "重新评分",
    "certificate_issue": "出具证书",
    "certificate_revoke": "撤销证书",
    "integrity_scan": "诚信检查",
    "integrity_dismiss": "排除诚信提示",
    "export": "导出数据",
    "backup": "备份",
    "audit_purge": "清理审计记录",
    "seed_demo": "生成演示数据",
}
AUDIT_OUTCOMES = {
    "ok": "成功",
    "fail": "失败",
    "locked": "已锁定（拒绝）",
    "throttled": "限流（拒绝）",
    "blocked": "地址封禁",
    "delayed": "开始限流",
    "idle": "超时退出",
    "inactive": "账号停用",
    "replaced": "被新登录替换",
}
AUDIT_DETAIL_FIELDS = {  # in the order they are shown
    "reason": "原因",
    "tries_left": "剩余尝试次数",
    "address": "地址",
    "user_agent": "浏览器",
    "minutes": "分钟",
    "scope": "范围",
    "failures": "失败次数",
    "wait_seconds": "等待秒数",
    "file": "文件",
    "mode": "方式",
    "added": "新增",
    "changed": "变更",
    "deactivated": "停用",
    "units_created": "新建单位",
    "encoding": "编码",
    "restored": "恢复人数",
    "title": "名称",
    "blueprint": "组卷方案",
    "audience": "参训对象",
    "assigned": "纳入人数",
    "eligible": "应参训",
    "finished": "已完成",
    "in_progress": "作答中",
    "closes_at": "截止时间",
    "old_closes_at": "原截止时间",
    "until": "延至",
    "rows": "人数",
    "format": "格式",
    "count": "数量",
    "unit_id": "单位编号",
    "person_id": "人员编号",
    "kind": "类型",
    "attempt_id": "答卷编号",
    "role": "角色",
    "account": "账号",
    "cleared": "清除的锁定",
    "other_sessions_ended": "退出的其他登录",
    "attempts": "答卷数",
    "questions": "题目",
    "changed_scores": "成绩变化",
    "now_failed": "转为不合格",
    "anchor": "锚点",
}
AUDIT_DETAIL_VALUES = {
    "unknown": "账号不存在",
    "bad_password": "密码错误",
    "inactive": "账号已停用",
    "address_blocked": "地址已封禁",
    "address_delay": "尝试过于频繁",
    "address": "本地址",
    "everywhere": "所有地址",
    "merge": "新增和更新",
    "replace": "以名册为准",
    "old password wrong": "原密码错误",
}


def audit_event_label(event: str) -> str:
    return AUDIT_EVENTS.get(event, event)


def audit_outcome_label(outcome: str) -> str:
    return AUDIT_OUTCOMES.get(outcome, outcome)


def audit_detail_text(detail: dict[str, object]) -> str:
    """The details as readable fields: 原因：密码错误；地址：10.0.0.5 (unknown keys keep their name)."""
    parts = []
    order = list(AUDIT_DETAIL_FIELDS)
    for key, value in sorted(detail.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order)):
        if value is None or value == "" or value == []:
            continue
        if isinstance(value, list):
            value = "、".join(str(v) for v in value)
        elif isinstance(value, bool):
            value = "是" if value else "否"
        else:
            value = AUDIT_DETAIL_VALUES.get(str(value), value)
        parts.append(f"{AUDIT_DETAIL_FIELDS.get(key, key)}：{value}")
    return "；".join(parts)
