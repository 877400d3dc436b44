-- The page queue ("frontier"): one FIFO of tasks per host, and a schedule of hosts by the
-- time each may next be asked for a page. Every fetcher process claims through this one
-- script, so the per-host limits hold across processes: a host never has more than
-- PER_HOST requests in flight, nor two request starts closer than its delay.
-- A claimed task is leased; a fetcher that dies leaves the lease to expire, and the task
-- goes back to its host's queue (claimed again, at-least-once: the write is idempotent).
-- Keys are built here from the prefix (one Redis, not Cluster, as everywhere in the pipeline):
--   P..'task:'..K   hash: item (RawItem JSON), url, host, attempts, updated
--   P..'q:'..HOST   list of task ids waiting for HOST
--   P..'ready'      zset HOST -> earliest start (hosts with waiting tasks and a free slot)
--   P..'host:'..HOST hash: busy (requests in flight), next_at (earliest next start), delay
--   P..'leases'     zset K -> lease expiry;  P..'delayed' zset K -> due time (retries)
--   P..'done:'..K   the link was fetched (value: the item's `updated`), for the done window
--   P..'count'      hash: queued (tasks in host queues)
-- ARGV[1] is the prefix P, ARGV[2] the action, ARGV[3] now (seconds); then per action:
--   add     4 done-window seconds, then per task: id, host, url, updated, item JSON
--           -> per task 1 (queued) or 0 (already queued, in flight or done: shared)
--   claim   4 per-host limit, 5 default delay, 6 lease seconds, 7 most tasks to claim
--           -> {wake, id, url, host, attempts, item, id, url, ...}; wake = the earliest
--              time a host or a retry comes due ('' when nothing waits)
--   settle  4 id, 5 host, 6 'free' | 'done' | 'retry' | 'requeue', 7 done-window seconds
--           or the retry's due time, 8 host not-before time ('' none), 9 host delay ('' none)
--           -> 1 when this fetcher still held the lease. 'free' only gives back the host's
--           slot (the request is over; the task stays leased until its item is enqueued)
local P, action, now = ARGV[1], ARGV[2], tonumber(ARGV[3])

local function schedule(host)
  -- a host with waiting tasks is in `ready` at the time it may start the next one
  if redis.call('LLEN', P .. 'q:' .. host) == 0 then
    redis.call('ZREM', P .. 'ready', host)
    return
  end
  if redis.call('ZSCORE', P .. 'ready', host) then
    return
  end
  local next_at = tonumber(redis.call('HGET', P .. 'host:' .. host, 'next_at') or '0')
  redis.call('ZADD', P .. 'ready', math.max(now, next_at), host)
end

local function requeue(id, front)
  local host = redis.call('HGET', P .. 'task:' .. id, 'host')
  if not host then
    return
  end
  if front then
    redis.call('LPUSH', P .. 'q:' .. host, id)
  else
    redis.call('RPUSH', P .. 'q:' .. host, id)
  end
  redis.call('HINCRBY', P .. 'count', 'queued', 1)
  schedule(host)
end

local function release_slot(id, host)
  -- a task holds its host's slot from its claim until its request is over ('free'),
  -- or until it is settled or its lease runs out, whichever comes first
  if redis.call('HDEL', P .. 'task:' .. id, 'slot') == 0 then
    return
  end
  local key = P .. 'host:' .. host
  if tonumber(redis.call('HINCRBY', key, 'busy', -1)) < 0 then
    redis.call('HSET', key, 'busy', 0)
  end
end

if action == 'add' then
  local window = tonumber(ARGV[4])
  local out = {}
  for i = 5, #ARGV, 5 do
    local id, host, url, updated, item = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
    local task = P .. 'task:' .. id
    local done = redis.call('GET', P .. 'done:' .. id)
    -- a link fetched within the window is not fetched again, unless the item says it
    -- was updated since (a later `updated`: ISO 8601 in UTC sorts as text)
    if redis.call('EXISTS', task) == 1 or (done and not (updated ~= '' and updated > done)) then
      out[#out + 1] = 0
    else
      redis.call('HSET', task, 'item', item, 'url', url, 'host', host, 'attempts', 0,
        'updated', updated)
      redis.call('RPUSH', P .. 'q:' .. host, id)
      redis.call('HINCRBY', P .. 'count', 'queued', 1)
      schedule(host)
      out[#out + 1] = 1
    end
  end
  return out
end

if action == 'claim' then
  local per_host, default_delay = tonumber(ARGV[4]), tonumber(ARGV[5])
  local lease, most = tonumber(ARGV[6]), tonumber(ARGV[7])
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', P .. 'delayed', '-inf', now, 'LIMIT', 0, 1000)) do
    redis.call('ZREM', P .. 'delayed', id)
    requeue(id, false)
  end
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', P .. 'leases', '-inf', now, 'LIMIT', 0, 1000)) do
    -- the fetcher holding it died (or hung past the lease): give the task back
    redis.call('ZREM', P .. 'leases', id)
    local host = redis.call('HGET', P .. 'task:' .. id, 'host')
    if host then
      release_slot(id, host)
      requeue(id, true)
    end
  end
  local out = {''}
  local claimed = 0
  for _, host in ipairs(redis.call('ZRANGEBYSCORE', P .. 'ready', '-inf', now, 'LIMIT', 0, most)) do
    local hkey = P .. 'host:' .. host
    local busy = tonumber(redis.call('HGET', hkey, 'busy') or '0')
    if busy >= per_host then
      redis.call('ZREM', P .. 'ready', host) -- a finished request puts it back
    else
      local id = redis.call('LPOP', P .. 'q:' .. host)
      if not id then
        redis.call('ZREM', P .. 'ready', host)
      else
        redis.call('HINCRBY', P .. 'count', 'queued', -1)
        -- robots.txt's Crawl-delay may lengthen the configured delay, never shorten it
        local delay = math.max(default_delay, tonumber(redis.call('HGET', hkey, 'delay') or '0'))
        local next_at = math.max(now, tonumber(redis.call('HGET', hkey, 'next_at') or '0'))
        redis.call('HSET', hkey, 'busy', busy + 1, 'next_at', next_at + delay)
        redis.call('EXPIRE', hkey, 7 * 86400)
        redis.call('ZADD', P .. 'leases', now + lease, id)
        local task = P .. 'task:' .. id
        local attempts = redis.call('HINCRBY', task, 'attempts', 1)
        redis.call('HSET', task, 'slot', 1)
        local fields = redis.call('HMGET', task, 'url', 'item')
        out[#out + 1] = id
        out[#out + 1] = fields[1]
        out[#out + 1] = host
        out[#out + 1] = attempts
        out[#out + 1] = fields[2]
        claimed = claimed + 1
        redis.call('ZREM', P .. 'ready', host)
        if busy + 1 < per_host then
          schedule(host)
        end
      end
    end
  end
  local wake = nil
  local first = redis.call('ZRANGE', P .. 'ready', 0, 0, 'WITHSCORES')
  if first[2] then
    wake = tonumber(first[2])
  end
  local retry = redis.call('ZRANGE', P .. 'delayed', 0, 0, 'WITHSCORES')
  if retry[2] and (not wake or tonumber(retry[2]) < wake) then
    wake = tonumber(retry[2])
  end
  local lease_end = redis.call('ZRANGE', P .. 'leases', 0, 0, 'WITHSCORES')
  if lease_end[2] and (not wake or tonumber(lease_end[2]) < wake) then
    wake = tonumber(lease_end[2])
  end
  if wake then
    out[1] = tostring(wake)
  end
  return out
end

if action == 'settle' then
  local id, host, how, value = ARGV[4], ARGV[5], ARGV[6], ARGV[7]
  local not_before, delay = ARGV[8], ARGV[9]
  release_slot(id, host)
  local hkey = P .. 'host:' .. host
  if not_before ~= '' then
    local current = tonumber(redis.call('HGET', hkey, 'next_at') or '0')
    redis.call('HSET', hkey, 'next_at', math.max(current, tonumber(not_before)))
    redis.call('ZREM', P .. 'ready', host) -- rescheduled below at the new time
  end
  if delay ~= '' then
    redis.call('HSET', hkey, 'delay', delay)
  end
  if how == 'free' then
    schedule(host)
    return 1
  end
  local held = redis.call('ZREM', P .. 'leases', id)
  local task = P .. 'task:' .. id
  if how == 'done' then
    local updated = redis.call('HGET', task, 'updated') or ''
    redis.call('DEL', task)
    redis.call('SET', P .. 'done:' .. id, updated, 'EX', math.max(1, math.floor(tonumber(value))))
  elseif how == 'retry' then
    if redis.call('EXISTS', task) == 1 then
      redis.call('ZADD', P .. 'delayed', tonumber(value), id)
    end
  elseif how == 'requeue' then
    if redis.call('EXISTS', task) == 1 then
      redis.call('HINCRBY', task, 'attempts', -1)
      requeue(id, true)
    end
  end
  schedule(host)
  return held
end

return redis.error_reply('unknown action ' .. tostring(action))
