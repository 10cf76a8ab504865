"""Pure rules: paper assembly, scoring, deadlines, grading methods, review scheduling, item statistics.

Nothing here touches a database, a file or Streamlit; every rule is tested in microseconds.
"""
