# The Redis image for scripts/compose-test.sh: Debian's redis-server from the debootstrap
# base. Like the official image it runs as the redis user in /data, so the AOF the compose
# command turns on lands in the redis-data volume (a new named volume copies /data's owner).
ARG BASE=news-pipeline-base:ci
FROM ${BASE}
RUN mkdir -p /data && chown redis:redis /data
WORKDIR /data
USER redis
CMD ["redis-server"]
