"""Domain words and their Chinese labels, in one place (the UI and the exports read them from here)."""

from __future__ import annotations

AUDIT_EVENTS = {
    "login": "登录", "logout": "退出登录", "lockout": "账号锁定", "login_throttle": "登录限流", "unlock": "解除锁定",
    "password_change": "修改密码", "password_reset": "重置密码", "account_create": "创建账号",
    "person_deactivate": "停用账号", "person_export": "导出个人信息", "roster_import": "导入名册",
    "roster_undo": "撤销名册导入", "unit_create": "新增单位", "campaign_create": "创建培训任务",
    "campaign_publish": "发布培训任务", "campaign_refresh": "刷新参训名单", "campaign_extend": "延期",
    "campaign_close": "结束培训任务", "campaign_reopen": "重新开放培训任务", "regrade": "重新评分",
    "certificate_issue": "出具证书", "certificate_revoke": "撤销证书", "integrity_scan": "诚信检查",
    "integrity_dismiss": "排除诚信提示", "export": "导出数据", "backup": "备份", "audit_purge": "清理审计记录",
    "seed_demo": "生成演示数据",
}
AUDIT_OUTCOMES = {"ok": "成功", "fail": "失败", "locked": "已锁定（拒绝）", "throttled": "限流（拒绝）",
                  "blocked": "地址封禁", "delayed": "开始限流", "idle": "超时退出", "inactive": "账号停用",
                  "replaced": "被新登录替换"}
AUDIT_DETAIL_FIELDS = {  # in the order they are shown
    "reason": "原因", "tries_left": "剩余尝试次数", "address": "地址", "user_agent": "浏览器", "minutes": "分钟",
    "scope": "范围", "failures": "失败次数", "wait_seconds": "等待秒数", "file": "文件", "mode": "方式",
    "added": "新增", "changed": "变更", "deactivated": "停用", "units_created": "新建单位", "encoding": "编码",
    "restored": "恢复人数", "title": "名称", "blueprint": "组卷方案", "audience": "参训对象", "assigned": "纳入人数",
    "eligible": "应参训", "finished": "已完成", "in_progress": "作答中", "closes_at": "截止时间",
    "old_closes_at": "原截止时间", "until": "延至", "rows": "人数", "format": "格式", "count": "数量",
    "unit_id": "单位编号", "person_id": "人员编号", "kind": "类型", "attempt_id": "答卷编号", "role": "角色",
    "account": "账号", "cleared": "清除的锁定", "other_sessions_ended": "退出的其他登录", "attempts": "答卷数",
    "questions": "题目", "changed_scores": "成绩变化", "now_failed": "转为不合格", "anchor": "锚点",
}
AUDIT_DETAIL_VALUES = {
    "unknown": "账号不存在", "bad_password": "密码错误", "inactive": "账号已停用", "address_blocked": "地址已封禁",
    "address_delay": "尝试过于频繁", "address": "本地址", "everywhere": "所有地址", "merge": "新增和更新",
    "replace": "以名册为准", "old password wrong": "原密码错误",
}


def audit_event_label(event: str) -> str:
    return AUDIT_EVENTS.get(event, event)


def audit_outcome_label(outcome: str) -> str:
    return AUDIT_OUTCOMES.get(outcome, outcome)


def audit_detail_text(detail: dict) -> str:
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
