"""成绩与解析: my finished attempts; per the campaign's review policy, each question with my answer,
the right one, the explanation and the 法律依据."""

import streamlit as st

from training_app import qtypes
from training_app.services import campaigns, certificates, exams
from training_app.services.common import ServiceError
from training_app.ui.components.common import esc, fmt_dt, get_app, guard
from training_app.ui.components.nav import goto
from training_app.ui.components.quiz import show_sources
from training_app.vocab import LEARNER_ROLES

actor = guard(*LEARNER_ROLES)
app = get_app()
st.title("成绩与解析")

last = st.session_state.pop("_last_result", None)
if last:
    percent, passed, already = last
    (st.success if passed else st.warning)(
        f"{'本次答卷此前已交卷，成绩不变：' if already else '交卷成功！'}得分 {percent:.1f} 分，{'合格' if passed else '不合格'}。"
    )

rows = exams.my_results(app, actor)
if not rows:
    st.info("还没有已完成的考试。")
    st.stop()

several = len({r["campaign"] for r in rows}) > 1


def _label(r: dict) -> str:
    """Short enough for a 375 px phone: the score and the time first, the campaign (shortened) only when needed."""
    when = fmt_dt(r["finished_at"])[5:]  # MM-DD HH:MM
    title = (r["campaign"][:8] + "…" if len(r["campaign"]) > 8 else r["campaign"]) + " " if several else ""
    return f"{title}第{r['number']}次 {r['percent']:.1f}分 {when}"


labels = {r["attempt_id"]: _label(r) for r in rows}
ids = list(labels)
default = st.session_state.get("result_attempt_id")
attempt_id = st.selectbox(
    "选择答卷", ids, index=ids.index(default) if default in ids else 0, format_func=lambda i: labels[i]
)
try:
    view = exams.attempt_view(app, actor, attempt_id)
except ServiceError as exc:
    st.error(esc(str(exc)))
    st.stop()

mine = next((e for e in campaigns.my_exams(app, actor) if e.campaign_id == view.campaign_id), None)
if mine and mine.failed:
    left = "不限次数" if mine.attempts_left is None else f"{mine.attempts_left} 次"
    if mine.can_start:
        st.warning(f"未合格，还可考 {left}（截止 {fmt_dt(mine.closes_at)}）")
        if st.button("再考一次", type="primary", key="retake"):
            st.session_state["start_campaign_id"] = mine.campaign_id
            st.session_state.pop("attempt_id", None)
            goto("exam")
    else:
        st.warning("未合格。" + (esc(mine.reason) if mine.reason else ""))
if mine and mine.passed:
    if st.button("生成合格证书（PDF）", key="make_cert"):
        st.session_state["_cert"] = (view.campaign_id, *certificates.my_certificate_pdf(app, actor, view.campaign_id))
    cert = st.session_state.get("_cert")
    if cert and cert[0] == view.campaign_id:
        st.download_button("下载合格证书", cert[2], file_name=cert[1], mime="application/pdf", type="primary")

c1, c2, c3 = st.columns(3)
c1.metric("得分", f"{view.percent:.1f}")
c2.metric("结果", "合格" if view.passed else "不合格")
c3.metric("合格线", f"{view.pass_mark:.0f}")
if not view.review_open:
    st.info("本次考试按规定暂不公布答案和解析（交卷后或考试截止后公布，以培训任务的设置为准）。")
    st.stop()

only_wrong = st.toggle("只看答错的题", value=True)
shown = [qv for qv in view.questions if not (only_wrong and qv.fraction == 1.0)]
if not shown:
    st.success("本次答卷全部答对。")
    st.stop()
# A page of questions at a time: each comes with its explanation and the article it tests (a phone screen or more),
# and the hand-in lands here: drawing 20–80 of them at once was most of what a hand-in cost on exam morning.
PAGE_SIZE = 10
pages = (len(shown) + PAGE_SIZE - 1) // PAGE_SIZE
page_key = f"_results_page_{attempt_id}_{int(only_wrong)}"
page = min(max(1, int(st.session_state.get(page_key, 1))), pages)


def _turn(to: int) -> None:
    st.session_state[page_key] = to


def pager(where: str) -> None:
    if pages <= 1:
        return
    c1, c2, c3 = st.columns([1, 2, 1], vertical_alignment="center")
    c1.button("上一页", disabled=page <= 1, key=f"prev_{where}", on_click=_turn, args=(page - 1,), width="stretch")
    c2.caption(f"第 {page}/{pages} 页（共 {len(shown)} 题）")
    c3.button("下一页", disabled=page >= pages, key=f"next_{where}", on_click=_turn, args=(page + 1,), width="stretch")


pager("top")
for qv in shown[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]:
    with st.container(border=True):
        mark = "√ 答对" if qv.fraction == 1.0 else ("◐ 部分得分" if qv.fraction else "× 答错")
        st.markdown(f"{mark} **第 {qv.slot} 题**　{qv.type_label}")
        st.markdown(esc(qv.stem))
        lines = []
        for i, o in enumerate(qv.options):
            tags = []
            if i in qv.correct:
                tags.append("✔ 正确答案")
            if i in qv.chosen:
                tags.append("← 我的选择")
            lines.append(f"- {esc(qtypes.option_label(qv.type, i, o))}　{'　'.join(tags)}")
        st.markdown("\n".join(lines))  # the options as one list: one element, not one per option
        if not qv.chosen:
            st.caption("未作答")
        st.markdown("**解析**　" + esc(qv.explanation))
        show_sources(qv.sources)
pager("bottom")
