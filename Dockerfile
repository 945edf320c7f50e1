# syntax=docker/dockerfile:1
#
# elearn API / worker / scheduler image.
#
#   docker build -t elearn .
#   docker run --rm --init -p 8000:8000 -e ELEARN_DATABASE_URL=... elearn          # API
#   docker run --rm --init -e ELEARN_REDIS_URL=... elearn worker --processes 2     # jobs
#   docker run --rm --init -e ELEARN_REDIS_URL=... elearn scheduler                # periodic jobs
#   docker run --rm elearn migrate                                                 # one-shot
#
# Both stages must use the same Python: the venv copied from the builder points at
# /usr/local/bin/python3.X of its base image.
ARG PYTHON_VERSION=3.11

# ---------------------------------------------------------------------------------------------
# builder: dependencies into /opt/venv, then the project's wheel on top
# ---------------------------------------------------------------------------------------------
FROM python:${PYTHON_VERSION}-slim AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

# Every runtime dependency ships manylinux wheels (asyncpg, uvloop, httptools, msgspec,
# argon2-cffi-bindings, greenlet, ...), so no compiler is installed here.
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /build

# Layer 1 (cached until pyproject.toml changes): the runtime dependencies only, read from
# [project].dependencies with tomllib. Dev extras are never installed.
COPY pyproject.toml ./
RUN python -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))' \
        > /tmp/requirements.txt \
    && pip install --no-cache-dir -r /tmp/requirements.txt

# Layer 2 (rebuilt on every source change, cheap): the project itself. The wheel build needs the
# sources and the README named by [project].readme. `README.md*` keeps the build working while
# the file is absent (a wildcard that matches nothing is allowed when another source matches).
COPY pyproject.toml README.md* ./
COPY src ./src
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels . \
    && pip install --no-cache-dir --no-deps /wheels/elearn-*.whl \
    && pip check \
    && python -c 'import importlib.resources as r; t = r.files("elearn.adapters.mail") / "templates" / "welcome" / "subject.txt"; assert t.is_file(), "mail templates missing from the wheel"'

# ---------------------------------------------------------------------------------------------
# runtime
# ---------------------------------------------------------------------------------------------
FROM python:${PYTHON_VERSION}-slim AS runtime

ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="elearn" \
      org.opencontainers.image.description="Backend API for online learning and tutoring marketplaces" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.base.name="docker.io/library/python:${PYTHON_VERSION}-slim"

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    ELEARN_VAR_DIR=/app/var \
    ELEARN_MIGRATIONS_DIR=/app/migrations

# Unprivileged user; it owns nothing but /app/var (SQLite db, uploaded files, mail outbox).
RUN groupadd --system --gid 10001 elearn \
    && useradd --system --uid 10001 --gid elearn --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin elearn

COPY --from=builder /opt/venv /opt/venv

WORKDIR /app
# `elearn migrate` finds migrations/ in the working directory (ELEARN_MIGRATIONS_DIR says so too);
# alembic.ini is there for `alembic upgrade head` run by hand. Both stay root-owned, read-only.
COPY alembic.ini ./
COPY migrations ./migrations
# Created with the right owner so that a named volume mounted here starts out writable by 10001.
RUN install -d -o elearn -g elearn -m 0750 /app/var /app/var/files /app/var/outbox

USER 10001:10001

EXPOSE 8000

# Readiness: the database and (when configured) Redis answer. urllib raises on 503, so the
# exit code is non-zero. Only meaningful for `serve` on port 8000; compose disables it for the
# worker, scheduler and migrate containers.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/health/ready', timeout=4).status == 200 else 1)"]

ENTRYPOINT ["elearn"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
