# syntax=docker/dockerfile:1.7
# Athenaeum — production image: multi-stage, slim, non-root, dependencies from uv.lock only.

FROM python:3.11-slim AS build
COPY --from=ghcr.io/astral-sh/uv:0.9 /uv /bin/uv
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /app
# Dependencies first (cached until uv.lock changes), then the project itself.
COPY pyproject.toml uv.lock README.md ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-project
COPY alembic.ini ./
COPY migrations ./migrations
COPY src ./src
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev

FROM python:3.11-slim AS runtime
RUN groupadd --system --gid 10001 athenaeum \
 && useradd --system --uid 10001 --gid athenaeum --home-dir /app --shell /usr/sbin/nologin athenaeum \
 && mkdir -p /app/var/media \
 && chown -R athenaeum:athenaeum /app/var
WORKDIR /app
COPY --from=build --chown=root:root /app /app
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    ATHENAEUM_HOST=0.0.0.0 \
    ATHENAEUM_PORT=8000 \
    ATHENAEUM_VAR_DIR=/app/var \
    ATHENAEUM_MEDIA_DIR=/app/var/media
USER athenaeum
EXPOSE 8000
VOLUME ["/app/var/media"]
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/ready', timeout=2).status != 200)"]
CMD ["athenaeum", "serve"]
