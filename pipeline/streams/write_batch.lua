-- Write one batch atomically: for each article, the duplicate check, the XADD and the
-- seen-set update happen in this one script, so no crash can leave an article
-- "seen" but not written (lost) or written but not "seen" (doubled on retry).
-- Only EVAL-era commands (Redis 6.2+): no functions, no XADD options newer than 6.2.
--
-- KEYS: 1 articles stream, 2 dead-letter stream, 3 stats hash, 4 the batch's payload key,
--       then per article: seen:<id>, fp:<fingerprint>; then per dead letter: deadseen:<hash>;
--       LAST: the batch's written-marker (see "batch marker" at the end)
-- ARGV: 1 maxlen (0 = none), 2 minid for age trimming ('' = none), 3 seen ttl seconds,
--       4 article count, 5 dead-letter count, 6 schema version, 7 '1' to delete KEYS[4],
--       then per article: id, fingerprint, JSON body without its closing brace,
--       then per dead letter: stage, reason, error, source, at, input, article_id;
--       LAST: the written-marker's TTL in seconds
local stream, dead_stream, stats, payload = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local maxlen = tonumber(ARGV[1])
local minid = ARGV[2]
local ttl = tonumber(ARGV[3])
local n_articles = tonumber(ARGV[4])
local n_dead = tonumber(ARGV[5])
local version = ARGV[6]
local drop_payload = ARGV[7] == '1'

local function xadd(key, fields)
  if maxlen > 0 then
    return redis.call('XADD', key, 'MAXLEN', '~', maxlen, '*', unpack(fields))
  end
  return redis.call('XADD', key, '*', unpack(fields))
end

local function json_or_null(value)
  if not value then
    return 'null'
  end
  return cjson.encode(value)
end

local results = {}
local k, a = 5, 8
for _ = 1, n_articles do
  local seen_key, fp_key = KEYS[k], KEYS[k + 1]
  local id, fp, body = ARGV[a], ARGV[a + 1], ARGV[a + 2]
  k, a = k + 2, a + 3
  local seen = redis.call('HMGET', seen_key, 'fp', 'entry', 'rev', 'cluster')
  if seen[1] == fp then
    -- the same article again (retry, replay, re-fetch): never written twice
    redis.call('HINCRBY', stats, 'repeat', 1)
    results[#results + 1] = {'repeat', seen[2]}
  else
    local status, revision, previous, duplicate_of, cluster
    if seen[1] then
      -- same id, changed text: a new revision pointing at the entry it replaces
      status, revision, previous = 'revision', tonumber(seen[3]) + 1, seen[2]
      cluster = seen[4] or id
    else
      revision = 1
      local first = redis.call('GET', fp_key)
      if first and first ~= id then
        status, duplicate_of, cluster = 'duplicate', first, first
      else
        status, cluster = 'new', id
      end
    end
    redis.call('SET', fp_key, id, 'NX', 'EX', ttl)
    local article = body .. ',"duplicate_of":' .. json_or_null(duplicate_of)
      .. ',"cluster":' .. json_or_null(cluster)
      .. ',"revision":' .. revision
      .. ',"previous_entry":' .. json_or_null(previous) .. '}'
    local entry = xadd(stream, {'id', id, 'v', version, 'article', article})
    redis.call('HSET', seen_key, 'fp', fp, 'entry', entry, 'rev', revision, 'cluster', cluster)
    redis.call('EXPIRE', seen_key, ttl)
    redis.call('HINCRBY', stats, status, 1)
    results[#results + 1] = {status, entry}
  end
end

for _ = 1, n_dead do
  local once_key = KEYS[k]
  k = k + 1
  -- a retried job reports the same failure again: one dead letter per failure
  if redis.call('SET', once_key, '1', 'NX', 'EX', ttl) then
    local entry = xadd(dead_stream, {
      'stage', ARGV[a], 'reason', ARGV[a + 1], 'error', ARGV[a + 2], 'source', ARGV[a + 3],
      'at', ARGV[a + 4], 'input', ARGV[a + 5], 'article_id', ARGV[a + 6]})
    redis.call('HINCRBY', stats, 'dead', 1)
    results[#results + 1] = {'dead', entry}
  else
    results[#results + 1] = {'repeat', false}
  end
  a = a + 7
end

-- batch marker: the batch is written, so its payload goes in the same step and a marker
-- (the last KEY, kept for the last ARGV seconds) says so. A job that later finds neither
-- its payload nor the marker knows its items expired: an alarm, never a silent no-op.
if drop_payload then
  redis.call('DEL', payload)
  redis.call('SET', KEYS[#KEYS], '1', 'EX', tonumber(ARGV[#ARGV]))
end

if minid ~= '' then
  redis.call('XTRIM', stream, 'MINID', '~', minid)
end
return results
