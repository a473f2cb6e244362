# Fil rouge application image: one image, three roles chosen by the command
#   filrouge api      (default) FastAPI app served by uvicorn on $API_HOST:$API_PORT
#   filrouge worker   Temporal worker
#   filrouge migrate  Alembic migrations to head (one-shot)
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    API_HOST=0.0.0.0 \
    API_PORT=8000

RUN python -m venv "$VIRTUAL_ENV"

WORKDIR /app

# Dependencies first, from the pinned list in pyproject.toml, so that code
# changes do not invalidate this layer.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install --upgrade pip \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# The application. The source tree stays in /app (editable install) so that
# files outside the Python packages (templates/, alembic.ini, ...) resolve
# the same way as in a checkout, whether looked up from the working
# directory or relative to the package. /app/data, the application's
# relative data directory, is the only place the runtime user can write.
COPY . .
RUN pip install --no-deps -e . \
    && python -m compileall -q /app

RUN groupadd --system --gid 10001 filrouge \
    && useradd --system --uid 10001 --gid filrouge --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin filrouge \
    && install -d -o filrouge -g filrouge /app/data
USER filrouge

EXPOSE 8000
CMD ["filrouge", "api"]
