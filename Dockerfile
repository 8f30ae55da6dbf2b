# syntax=docker/dockerfile:1
# One image for every role; the role is the CLI verb:
#   docker run deltastream                 -> run (every role, embedded backends)
#   docker run deltastream run-api         -> HTTP + Socket.IO
#   docker run deltastream run-worker      -> enrichment worker
#   docker run deltastream run-feed        -> market feed + dispatcher (exactly one per deployment)
ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
# Dependencies first, from pyproject.toml alone, so code edits do not reinstall them.
COPY pyproject.toml README.md ./
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --upgrade pip wheel \
    && /opt/venv/bin/python -c "import tomllib; deps = tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']; open('/tmp/requirements.txt', 'w').write(chr(10).join(deps))" \
    && /opt/venv/bin/pip install -r /tmp/requirements.txt
COPY deltastream ./deltastream
COPY migrations ./migrations
RUN /opt/venv/bin/pip wheel --no-deps --wheel-dir /wheels . \
    && /opt/venv/bin/pip install --no-deps /wheels/*.whl \
    && /opt/venv/bin/python -m deltastream version

FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="deltastream" \
      org.opencontainers.image.description="Real-time option analytics: chains, PCR, max pain, IV, Greeks, surfaces"
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DELTASTREAM_HOST=0.0.0.0 \
    DELTASTREAM_PORT=8000 \
    DELTASTREAM_SQLITE_PATH=/data/deltastream.db
RUN groupadd --system --gid 10001 deltastream \
    && useradd --system --uid 10001 --gid deltastream --home-dir /app --shell /usr/sbin/nologin deltastream \
    && mkdir -p /app /data \
    && chown deltastream:deltastream /app /data
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
# The AI chat's corpus: the README and docs/ (the metric glossary ships inside the package).
COPY README.md /app/README.md
COPY docs /app/docs
ENV DELTASTREAM_AI_DOCS_DIR=/app
USER 10001:10001
VOLUME ["/data"]
EXPOSE 8000
# Every role serves /health on DELTASTREAM_PORT; urllib keeps curl out of the image.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ.get('DELTASTREAM_PORT', '8000'), timeout=4)"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["python", "-m", "deltastream"]
CMD ["run"]
