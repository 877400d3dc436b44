# The pipeline image for scripts/compose-test.sh: the production Dockerfile's runtime
# (user, workdir, environment, HEALTHCHECK, ENTRYPOINT, CMD; tests/unit/test_deployment.py
# checks they match) on a Debian base made by debootstrap, built with --network=none from
# a wheelhouse made on the host. The build context is a folder holding wheelhouse/ and seeds/.
ARG BASE=news-pipeline-base:ci

FROM ${BASE} AS build
COPY wheelhouse /wheelhouse
# async-timeout: redis-py needs it below Python 3.11.3, and Debian's Python is 3.11.2
RUN python3 -m venv /opt/venv \
 && /opt/venv/bin/pip install --no-cache-dir --no-index --find-links /wheelhouse \
      news-pipeline async-timeout

# The wheelhouse stays in the build stage: only the installed venv is copied.
FROM ${BASE}
RUN useradd --create-home --uid 10001 pipeline
COPY --from=build /opt/venv /opt/venv
COPY seeds /app/seeds
WORKDIR /app
USER pipeline
ENV PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PYTHONUNBUFFERED=1 \
    PIPELINE_REDIS_URL=redis://redis:6379/0
HEALTHCHECK --interval=30s --timeout=10s --retries=3 CMD ["pipeline", "health"]
ENTRYPOINT ["pipeline"]
CMD ["worker"]
