# Prometheus for the monitoring phase of scripts/compose-test.sh. No image registry is
# reachable in CI, so instead of prom/prometheus: Debian's prometheus binary (unpacked by
# scripts/prometheus-for-tests.sh, never installed) on the debootstrap base, laid out as the
# official image is (entrypoint /bin/prometheus, data in /prometheus, user nobody).
ARG BASE=news-pipeline-base:ci
FROM ${BASE}
COPY prometheus /bin/prometheus
RUN mkdir -p /prometheus && chown nobody:nogroup /prometheus
USER nobody
WORKDIR /prometheus
ENTRYPOINT ["/bin/prometheus"]
