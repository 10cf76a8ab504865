"""The exam's use cases under one name, for the pages and tests that call ``exams.…``.

Each job has its own module: ``attempts`` (start, save, flag, submit, close overdue), ``grading`` (scores,
summaries, 错题本 cards, regrade), ``views`` (what a page shows; never writes) and ``papers`` (the frozen
paper and its cache). This module only re-exports them.
"""

from __future__ import annotations

from .attempts import AnswerRefused as AnswerRefused
from .attempts import StartResult as StartResult
from .attempts import close_overdue as close_overdue
from .attempts import save_answer as save_answer
from .attempts import set_flag as set_flag
from .attempts import start_attempt as start_attempt
from .attempts import submit_attempt as submit_attempt
from .grading import RegradeResult as RegradeResult
from .grading import Result as Result
from .grading import regrade_campaign as regrade_campaign
from .grading import review_open as review_open
from .grading import sync_exam_cards as sync_exam_cards
from .grading import sync_open_reviews as sync_open_reviews
from .papers import draw_paper as draw_paper
from .papers import freeze_paper as freeze_paper
from .views import AttemptHead as AttemptHead
from .views import AttemptView as AttemptView
from .views import ExamSheet as ExamSheet
from .views import QuestionView as QuestionView
from .views import attempt_head as attempt_head
from .views import attempt_view as attempt_view
from .views import exam_page as exam_page
from .views import exam_sheet as exam_sheet
from .views import my_results as my_results
from .views import open_attempt_for as open_attempt_for
from .views import slot_order as slot_order
