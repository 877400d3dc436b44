"""Consumer-group members that are gone: removed from their group once they hold nothing.

Every ``Consumer`` joins its group under a name (by default the host and a per-process
id), and Redis keeps a member until it is deleted: a service restarted daily leaves a
member a day behind, each listed by ``XINFO CONSUMERS`` forever. Deleting a member drops
its pending entries with it (``XGROUP DELCONSUMER``), so a member is only ever removed in
one atomic step with the check that it holds none: an entry handed to it a moment
earlier keeps it in the group, to be handled by it or taken over by another member.
"""

from __future__ import annotations

from collections.abc import Sequence

from redis import Redis
from redis.exceptions import ResponseError

from pipeline.streams.reader import as_text

__all__ = ["idle_members", "remove_if_empty"]

# KEYS: the streams; ARGV[1]: the group; ARGV[2..]: member names. Each member is removed
# from the group of each stream where it holds no pending entry; returns, per name, 1
# when it is gone from all of them. A missing stream or group counts as holding nothing.
_REMOVE_IF_EMPTY = """
local group = ARGV[1]
local gone = {}
for i = 2, #ARGV do
  local name = ARGV[i]
  local all = 1
  for _, key in ipairs(KEYS) do
    local rows = redis.pcall('XPENDING', key, group, '-', '+', 1, name)
    if type(rows) == 'table' and rows.err == nil then
      if #rows == 0 then
        redis.call('XGROUP', 'DELCONSUMER', key, group, name)
      else
        all = 0
      end
    end
  end
  gone[#gone + 1] = all
end
return gone
"""


def remove_if_empty(
    redis: Redis, streams: Sequence[str], group: str, names: Sequence[str]
) -> list[str]:
    """Remove each named member from ``group`` on ``streams`` where it holds no pending
    entry (checked and deleted in one script); returns the names gone from all of them."""
    if not names or not streams:
        return []
    replies = redis.eval(_REMOVE_IF_EMPTY, len(streams), *streams, group, *names)
    return [name for name, gone in zip(names, replies, strict=True) if int(gone)]


def idle_members(redis: Redis, stream: str, group: str, idle_ms: int) -> list[str]:
    """Members of ``group`` on ``stream`` that have not read for ``idle_ms`` or more and
    hold nothing pending (as XINFO CONSUMERS saw them: ``remove_if_empty`` checks again)."""
    try:
        members = redis.xinfo_consumers(stream, group)
    except ResponseError:  # no stream or no group yet
        return []
    return [
        as_text(m["name"]) for m in members if int(m["pending"]) == 0 and int(m["idle"]) >= idle_ms
    ]
