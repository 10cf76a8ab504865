"""培训任务: create from a blueprint, publish, extend for a person or a unit, close."""

from datetime import datetime, time, timedelta

import streamlit as st

from training_app.services import campaigns, roster
from training_app.services.campaigns import CampaignInput
from training_app.services.common import ServiceError
from training_app.ui.components.common import esc, flash, fmt_dt, get_app, guard, show_flash, tz
from training_app.vocab import AUDIENCE_LABELS, CAMPAIGN_STATUS_LABELS, GRADING_LABELS, REVIEW_LABELS

actor = guard("coordinator", "admin")
app = get_app()
st.title("培训任务")
show_flash()

existing = campaigns.list_campaigns(app, actor)
for c in existing:
    with st.expander(
        f"{esc(c.title)}　［{CAMPAIGN_STATUS_LABELS[c.status]}］　{fmt_dt(c.opens_at)} — {fmt_dt(c.closes_at)}"
    ):
        bp = app.bank.blueprints.get(c.blueprint_id)
        st.markdown(
            f"组卷方案：{esc(bp.title if bp else c.blueprint_id)}　参训对象：{AUDIENCE_LABELS[c.audience]}　"
            f"限时 {c.time_limit_minutes} 分钟　合格线 {c.pass_mark:.0f}　次数 {c.attempts_allowed or '不限'}　"
            f"{GRADING_LABELS[c.grading_method]}　{REVIEW_LABELS[c.review_policy]}"
        )
        cols = st.columns(3)
        if c.status == "draft" and cols[0].button("发布", key=f"pub_{c.id}", type="primary"):
            try:
                n = campaigns.publish(app, actor, c.id)
            except ServiceError as exc:
                st.error(esc(str(exc)))
            else:
                flash(f"已发布，{n} 人纳入参训名单。")
                st.rerun()
        if c.status == "published" and cols[0].button("刷新参训名单", key=f"refresh_{c.id}"):
            try:
                n = campaigns.publish(app, actor, c.id)
            except ServiceError as exc:
                st.error(esc(str(exc)))
            else:
                flash(f"已刷新，新增 {n} 人。")
                st.rerun()
        if c.status == "published" and cols[1].button("结束任务", key=f"close_{c.id}"):
            st.session_state["_close_pending"] = c.id
        if st.session_state.get("_close_pending") == c.id and c.status == "published":
            try:
                impact = campaigns.close_impact(app, actor, c.id)
            except ServiceError as exc:
                st.error(esc(str(exc)))
                st.session_state.pop("_close_pending", None)
            else:
                st.error(
                    f"确认结束“{esc(c.title)}”？应参训 {impact.eligible} 人中，尚未完成 {impact.unfinished} 人"
                    f"（未参考 {impact.not_started} 人，正在作答 {impact.in_progress} 人：其答卷将按已保存的答案立即评分）。"
                    "结束后考生不能再作答；如需重新开放，请联系系统管理员。"
                )
                k1, k2 = st.columns(2)
                if k1.button(f"确认结束（{impact.unfinished} 人未完成）", key=f"close_go_{c.id}", type="primary"):
                    try:
                        n = campaigns.close(app, actor, c.id)
                    except ServiceError as exc:
                        st.error(esc(str(exc)))
                    else:
                        st.session_state.pop("_close_pending", None)
                        flash(f"任务已结束；{n} 份进行中的答卷已按已保存的答案评分。")
                        st.rerun()
                if k2.button("取消", key=f"close_cancel_{c.id}"):
                    st.session_state.pop("_close_pending", None)
                    st.rerun()
        if c.status == "closed" and actor.role == "admin":
            with st.form(f"reopen_{c.id}"):
                st.markdown("**重新开放**（系统管理员；记入审计日志）")
                new_day = st.date_input(
                    "新的截止日期",
                    value=datetime.now(tz()).date() + timedelta(days=7),
                    key=f"reopen_day_{c.id}",
                    format="YYYY-MM-DD",
                )
                if st.form_submit_button("重新开放"):
                    try:
                        campaigns.reopen(app, actor, c.id, datetime.combine(new_day, time(23, 59), tzinfo=tz()))
                    except ServiceError as exc:
                        st.error(esc(str(exc)))
                    else:
                        flash(f"已重新开放，截止 {new_day:%Y年%m月%d日} 23:59。")
                        st.rerun()
        if c.status != "draft" and cols[2].button(
            "重新评分", key=f"regrade_{c.id}", help="题库更正某题答案后，按现行答案重新评定已交答卷"
        ):
            try:
                r = campaigns.regrade_campaign(app, actor, c.id)
            except ServiceError as exc:
                st.error(esc(str(exc)))
                st.stop()
            flash(
                f"已重新评分 {r.attempts} 份答卷：更正的题目 {len(r.changed_questions)} 道，成绩变化 {r.changed_scores} 份，"
                f"由合格变为不合格 {r.now_failed} 人（其合格证书随之失效）。"
            )
            st.rerun()
        if c.status == "published":
            with st.form(f"extend_{c.id}"):
                st.markdown("**延期**（为个人或单位延长截止时间）")
                who = st.radio("对象", ["单位", "个人（账号）"], horizontal=True, key=f"who_{c.id}")
                units = roster.list_units(app, actor)
                unit = st.selectbox(
                    "单位",
                    [u.id for u in units],
                    format_func=lambda i, _units=units: next(u.name for u in _units if u.id == i),
                    key=f"unit_{c.id}",
                )
                account = st.text_input("账号（执法证号）", key=f"acct_{c.id}")
                day = st.date_input("延至日期", value=(c.closes_at + timedelta(days=7)).date(), key=f"day_{c.id}")
                if st.form_submit_button("确认延期"):
                    until = datetime.combine(day, time(23, 59), tzinfo=tz())
                    try:
                        if who == "单位":
                            n = campaigns.extend(app, actor, c.id, until, unit_id=unit)
                        else:
                            people = [
                                p
                                for p in roster.list_people(app, actor, search=account.strip())
                                if p["账号"] == account.strip()
                            ]
                            if not people:
                                raise ServiceError("没有这个账号")
                            n = campaigns.extend(app, actor, c.id, until, person_id=people[0]["id"])
                    except ServiceError as exc:
                        st.error(esc(str(exc)))
                    else:
                        flash(f"已为 {n} 人延期至 {fmt_dt(until)}。")
                        st.rerun()

st.subheader("新建培训任务")
NEW_KEYS = (
    "new_title",
    "new_bp",
    "new_audience",
    "new_units",
    "new_opens",
    "new_closes",
    "new_minutes",
    "new_pass",
    "new_attempts",
    "new_grading",
    "new_review",
    "new_publish",
    "new_dup_ok",
)
if st.session_state.pop("_new_campaign_done", False):  # a campaign was just created: start from a clean form
    for k in NEW_KEYS:
        st.session_state.pop(k, None)
exam_blueprints = {k: v for k, v in app.bank.blueprints.items()}
today = datetime.now(tz()).date()
title = st.text_input("任务名称", value=f"{today.year}年度行政执法人员法律知识考试", key="new_title")
bp_id = st.selectbox("组卷方案", list(exam_blueprints), format_func=lambda k: exam_blueprints[k].title, key="new_bp")
units = roster.list_units(app, actor)
unit_names = {u.id: u.name for u in units}
audience = st.selectbox(
    "参训对象",
    list(AUDIENCE_LABELS),
    format_func=lambda k: AUDIENCE_LABELS[k],
    key="new_audience",
    help="选“指定单位”后在下方选择单位；其他对象面向全区（单位管理员只能选本单位）。",
)
chosen_units = st.multiselect(
    "指定单位",
    list(unit_names),
    format_func=lambda i: unit_names[i],
    key="new_units",
    disabled=audience != "units",
    placeholder="选择参训单位（可输入单位名称查找）",
    help="仅当参训对象为“指定单位”时可选；输入的名称找不到单位时列表为空。",
)
if audience != "units" and chosen_units:
    st.error(
        "已选择了指定单位，但参训对象不是“指定单位”。只面向这些单位请把参训对象改为“指定单位”，面向全区请清空所选单位。"
    )
c1, c2 = st.columns(2)
opens = c1.date_input("开始日期", value=today, key="new_opens", format="YYYY-MM-DD")
closes = c2.date_input("截止日期", value=today + timedelta(days=30), key="new_closes", format="YYYY-MM-DD")
c1, c2, c3 = st.columns(3)
minutes = c1.number_input("考试时长（分钟，0 = 按组卷方案）", min_value=0, value=0, key="new_minutes")
pass_mark = c2.number_input("合格线（0 = 按组卷方案）", min_value=0, max_value=100, value=0, key="new_pass")
attempts = c3.number_input("可考次数（0 = 不限）", min_value=0, value=2, key="new_attempts")
grading = st.selectbox("成绩计算", list(GRADING_LABELS), format_func=lambda k: GRADING_LABELS[k], key="new_grading")
review = st.selectbox(
    "答案公布", list(REVIEW_LABELS), index=1, format_func=lambda k: REVIEW_LABELS[k], key="new_review"
)
publish_now = st.checkbox("创建后立即发布", value=False, key="new_publish")

scope_ok = audience != "units" or bool(chosen_units)
if audience != "units" and chosen_units:
    scope_ok = False
if scope_ok:
    head = campaigns.preview_audience(app, actor, audience, tuple(chosen_units), year=opens.year)
    where = (
        "、".join(unit_names[i] for i in chosen_units)
        if audience == "units"
        else (unit_names.get(actor.scope_unit_id, "本单位") if actor.scope_unit_id is not None else "全区")
    )
    st.info(f"参训范围：{esc(where)}，{AUDIENCE_LABELS[audience]}；按现在的名册，发布后将纳入 {head} 人。")
elif audience == "units":
    st.warning("请选择参训单位。")
duplicates = campaigns.same_title_campaigns(app, actor, title, opens.year) if title.strip() else []
dup_ok = True
if duplicates:
    st.warning(
        f"{opens.year}年已有同名培训任务“{esc(title.strip())}”（{len(duplicates)} 项）。"
        "如确需再建一项，请勾选下方确认；否则请修改任务名称。"
    )
    dup_ok = st.checkbox("确认再创建一项同名任务", key="new_dup_ok")
if st.button("创建", type="primary", key="new_create", disabled=not scope_ok or not dup_ok):
    data = CampaignInput(
        title=title,
        blueprint_id=bp_id,
        audience=audience,
        opens_at=datetime.combine(opens, time(0, 0), tzinfo=tz()),
        closes_at=datetime.combine(closes, time(23, 59), tzinfo=tz()),
        time_limit_minutes=int(minutes) or None,
        pass_mark=float(pass_mark) or None,
        attempts_allowed=int(attempts),
        grading_method=grading,
        review_policy=review,
        audience_units=tuple(chosen_units),
    )
    try:
        cid = campaigns.create_campaign(app, actor, data, allow_duplicate=dup_ok and bool(duplicates))
        msg = f"已创建“{title.strip()}”（草稿）。"
        if publish_now:
            msg = f"已创建并发布“{title.strip()}”，{campaigns.publish(app, actor, cid)} 人纳入参训名单。"
    except ServiceError as exc:
        st.error(esc(str(exc)))
    else:
        st.session_state["_new_campaign_done"] = True
        flash(msg)
        st.rerun()
