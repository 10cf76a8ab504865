# The same steps as `bash scripts/run.sh`, for a server: install, migrate, (optionally) seed, serve.
# Production: set APP_SECRET (and DATABASE_URL for PostgreSQL); DEMO_MODE=1 only for a demo.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    TRAINING_APP_DATA_DIR=/app/data PORT=8501
WORKDIR /app

RUN useradd --create-home --uid 10001 app
COPY pyproject.toml README.md ./
COPY training_app ./training_app
COPY question_bank ./question_bank
COPY .streamlit/config.toml ./.streamlit/config.toml
RUN pip install ".[postgres]" && mkdir -p /app/data && chown -R app:app /app/data

USER app
VOLUME ["/app/data"]
EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4).read() == b'ok' else 1)"
# `serve` migrates the database, refuses a broken bank or a placeholder secret, then starts Streamlit.
CMD ["training-app", "serve", "--address", "0.0.0.0", "--port", "8501"]
