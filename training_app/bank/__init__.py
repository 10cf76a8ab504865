"""The question bank: YAML files, validated, loaded once per process."""

from .loader import BankError, load_bank
from .schema import Bank, BankIssue, Blueprint, LawEntry, Question, Source

__all__ = ["Bank", "BankError", "BankIssue", "Blueprint", "LawEntry", "Question", "Source", "load_bank"]
