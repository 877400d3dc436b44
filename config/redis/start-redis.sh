#!/bin/sh
# Start redis-server with one ACL user per role, passwords from the environment (see
# .env.example); the default user is disabled. Extra arguments go to redis-server.
#
#   pipeline  the pipeline's own processes: its keys (PIPELINE_PREFIX, default news:) and
#             RQ's (rq:*) only, RQ's pub/sub channels; no admin or dangerous commands
#   consumer  downstream readers: XREADGROUP, XACK, XAUTOCLAIM, XINFO, XPENDING on
#             the output streams (<prefix>articles, <prefix>dead) and a group's handed-back
#             entries (<prefix>articles:retry:*); the poison rule's writes and nothing more:
#             XADD to <prefix>dead only, XDEL of handed-back entries and XGROUP CREATE of
#             its own group's retry stream only, HINCRBY of the
#             trimmed-entry counts (Redis 7 selectors); EVAL and XGROUP DELCONSUMER so
#             a member leaves its group once it holds nothing (pipeline/streams/members.py:
#             no more than XACK, which it has, could already do); the operator creates groups
#   operator  everything but FLUSHALL, FLUSHDB and DEBUG
#
# The default user is off with no password: no connection can log in as it, and every
# connection must AUTH. It keeps all permissions on purpose: Redis before 8 replays a
# MULTI/EXEC from the AOF as the default user and re-checks its permissions at EXEC, so
# with none every transaction (the atomic write's effects, RQ's enqueue) would be dropped
# at restart with only a log line (redis/redis#14541; tests/integration/test_acl.py).
#
# Passwords: no spaces (e.g. `openssl rand -hex 24`). The rendered ACL file (mode 600)
# goes to REDIS_ACL_FILE, default /tmp/users.acl.
set -eu

check() {
  case "$2" in
    "" | *[[:space:]]*) echo "start-redis: set $1 (no spaces), see .env.example" >&2; exit 2 ;;
  esac
}
check REDIS_PIPELINE_PASSWORD "${REDIS_PIPELINE_PASSWORD:-}"
check REDIS_CONSUMER_PASSWORD "${REDIS_CONSUMER_PASSWORD:-}"
check REDIS_OPERATOR_PASSWORD "${REDIS_OPERATOR_PASSWORD:-}"
prefix="${PIPELINE_PREFIX:-news:}"
acl="${REDIS_ACL_FILE:-/tmp/users.acl}"

umask 077
cat > "$acl" <<ACL
user default off resetpass ~* &* +@all
user pipeline on >${REDIS_PIPELINE_PASSWORD} resetkeys ~${prefix}* ~rq:* resetchannels &rq:* +@all -@admin -@dangerous +info +client|setname +client|getname +client|info +client|id
user consumer on >${REDIS_CONSUMER_PASSWORD} resetkeys ~${prefix}articles ~${prefix}dead ~${prefix}articles:retry:* resetchannels -@all +ping +xreadgroup +xack +xautoclaim +xinfo +xpending +xlen +exists +multi +exec +discard +eval +xgroup|delconsumer (~${prefix}dead +xadd) (~${prefix}articles:retry:* +xdel +xgroup|create) (~${prefix}articles:trimmed ~${prefix}dead:trimmed +hincrby +hgetall)
user operator on >${REDIS_OPERATOR_PASSWORD} ~* &* +@all -flushall -flushdb -debug
ACL
exec "${REDIS_SERVER:-redis-server}" --aclfile "$acl" "$@"
