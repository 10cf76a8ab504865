"""法治培训与考试平台 — legal-education quiz and training platform.

Layers, one way only: ``ui`` (Streamlit) → ``services`` (use cases) → ``engine`` (pure rules),
``bank`` (question bank) and ``store`` (SQLModel tables and queries).
"""

__version__ = "0.1.0"
