-- Write one batch atomically: for each article, the duplicate check (exact and near), the
-- XADD and the seen-set and near-duplicate index updates happen in this one script, so no
-- crash can leave an article "seen" but not written (lost) or written but not "seen"
-- (doubled on retry), and two workers writing two copies of one story at the same moment
-- cannot both make theirs the original.
-- Only EVAL-era commands (Redis 6.2+): no functions, no XADD options newer than 6.2.
-- Near-duplicate candidates' entries (KEYS-less, built from ids found in band buckets) are
-- read by name: the script needs one Redis, not Redis Cluster.
--
-- KEYS: 1 articles stream, 2 dead-letter stream, 3 stats hash, 4 the batch's payload key,
--       then per article: seen:<id>, fp:<fingerprint>, and when it has a signature:
--       nd:s:<id>, then one nd:<band label> bucket per band;
--       then per dead letter: deadseen:<hash>;
--       LAST: the batch's written-marker (see "batch marker" at the end)
-- ARGV: 1 maxlen (0 = none), 2 minid for age trimming ('' = none), 3 seen ttl seconds,
--       4 article count, 5 dead-letter count, 6 schema version, 7 '1' to delete KEYS[4],
--       8-12 the near-duplicate settings (see the near-duplicate part below),
--       then per article: id, fingerprint, JSON body without its closing brace,
--         'r' when the worker skipped its enrichment as a repeat (else ''),
--         signature ('' = takes no part), band count,
--       then per dead letter: stage, reason, error, source, at, input, article_id;
--       LAST: the written-marker's TTL in seconds
-- Returns per article and dead letter {status, entry id}: status new, duplicate,
-- near_duplicate, revision, repeat, dead, or unenriched (an 'r' article that is not a
-- repeat after all: not written, the worker enriches it and writes it again).
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

-- ===== near-duplicate index ===============================================================
-- A signature is NUM_PERM 16-bit MinHash values (2 bytes each). Each band bucket is a
-- sorted set of article ids scored by insert time (ms), trimmed to the window when an
-- insert finds members older than it, and expiring a window after its newest member,
-- so each member leaves on its own; nd:s:<id> holds the article's signature
-- followed by its cluster id, with the window as TTL; nd:count counts inserts over time.
-- ARGV: 8 now (ms), 9 window start (ms), 10 window in seconds (TTL),
--       11 the share of equal values needed to link (the verified threshold),
--       12 candidates verified at most (the newest first)
local nd_now = ARGV[8]
local nd_since = ARGV[9]
local nd_ttl = tonumber(ARGV[10])
local nd_threshold = tonumber(ARGV[11])
local nd_candidates = tonumber(ARGV[12])

-- nd:count counts the articles indexed per 1/168th of the window (an hour of 7 days), for
-- `pipeline stats`; updated once per batch, at the end
local nd_indexed, nd_counts = 0, nil

local function nd_count()
  if nd_indexed > 0 then
    local slot = math.max(1, (tonumber(nd_now) - tonumber(nd_since)) / 168)
    redis.call('HINCRBY', nd_counts, math.floor(tonumber(nd_now) / slot), nd_indexed)
    redis.call('HDEL', nd_counts, math.floor(tonumber(nd_since) / slot) - 1)
  end
end

local function nd_similar(values, other)
  -- the share of equal 16-bit values: the estimated Jaccard similarity of the shingles.
  -- values: the new signature's bytes, unpacked once per article; the candidate's are
  -- read 16 at a time into locals (no table per candidate: this runs for every one)
  local n = #values
  if #other < n then
    return 0
  end
  local same = 0
  for i = 1, n, 16 do
    local b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15, b16 =
      string.byte(other, i, i + 15)
    if b1 == values[i] and b2 == values[i + 1] then same = same + 1 end
    if b3 == values[i + 2] and b4 == values[i + 3] then same = same + 1 end
    if b5 == values[i + 4] and b6 == values[i + 5] then same = same + 1 end
    if b7 == values[i + 6] and b8 == values[i + 7] then same = same + 1 end
    if b9 == values[i + 8] and b10 == values[i + 9] then same = same + 1 end
    if b11 == values[i + 10] and b12 == values[i + 11] then same = same + 1 end
    if b13 == values[i + 12] and b14 == values[i + 13] then same = same + 1 end
    if b15 == values[i + 14] and b16 == values[i + 15] then same = same + 1 end
  end
  return same
end

-- The best verified earlier article among the candidates the buckets name: returns its
-- id, its cluster and the count of equal values (or nil), and whether any bucket holds
-- members older than the window (then the insert trims them).
local function nd_find(id, sig, sig_prefix, buckets)
  local values = {string.byte(sig, 1, #sig)}
  local needed = math.ceil(nd_threshold * #sig / 2 - 1e-9)
  local best_id, best_cluster, best_same = nil, nil, needed - 1
  -- one read for all bands: every member once, with its newest insert time
  local union = {'ZUNION', #buckets}
  for i, bucket in ipairs(buckets) do
    union[i + 2] = bucket
  end
  union[#union + 1], union[#union + 2], union[#union + 3] = 'AGGREGATE', 'MAX', 'WITHSCORES'
  local found = redis.call(unpack(union))
  local since, tried, stale = tonumber(nd_since), 0, false
  for i = #found - 1, 1, -2 do -- newest first
    local candidate = found[i]
    if tonumber(found[i + 1]) < since then
      stale = true
    elseif candidate ~= id and tried < nd_candidates then
      tried = tried + 1
      local stored = redis.call('GET', sig_prefix .. candidate)
      if stored then
        local same = nd_similar(values, stored)
        if same > best_same then
          best_id, best_cluster, best_same = candidate, string.sub(stored, #sig + 1), same
        end
      end
    end
  end
  return best_id, best_cluster, best_same, stale
end

-- trim: whether a bucket may hold members older than the window (nd_find saw some, or
-- it was not looked up)
local function nd_index(id, cluster, sig, sig_key, buckets, trim)
  redis.call('SET', sig_key, sig .. cluster, 'EX', nd_ttl)
  nd_indexed = nd_indexed + 1
  nd_counts = string.sub(sig_key, 1, #sig_key - #id - 2) .. 'count'  -- <prefix>nd:count
  for _, bucket in ipairs(buckets) do
    if trim then
      redis.call('ZREMRANGEBYSCORE', bucket, '-inf', '(' .. nd_since)
    end
    redis.call('ZADD', bucket, nd_now, id)
    redis.call('EXPIRE', bucket, nd_ttl)
  end
end
-- ===== end of the near-duplicate index ====================================================

local results = {}
local deferred = 0
local k, a = 5, 13
for _ = 1, n_articles do
  local seen_key, fp_key = KEYS[k], KEYS[k + 1]
  local id, fp, body, flags, sig = ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4]
  local n_bands = tonumber(ARGV[a + 5])
  local sig_key, buckets = nil, {}
  k, a = k + 2, a + 6
  if sig ~= '' then
    sig_key = KEYS[k]
    for i = 1, n_bands do
      buckets[i] = KEYS[k + i]
    end
    k = k + 1 + n_bands
  end
  local seen = redis.call('HMGET', seen_key, 'fp', 'entry', 'rev', 'cluster')
  if seen[1] == fp then
    -- the same article again (retry, replay, re-fetch): never written twice
    redis.call('HINCRBY', stats, 'repeat', 1)
    results[#results + 1] = {'repeat', seen[2]}
  elseif flags == 'r' then
    -- the worker took it for a repeat and skipped enrichment: it must not be written so
    deferred = deferred + 1
    results[#results + 1] = {'unenriched', false}
  else
    local status, revision, previous, duplicate_of, cluster, kind, similarity
    local trim = true
    local index = sig_key ~= nil
    if seen[1] then
      -- same id, changed text: a new revision pointing at the entry it replaces
      status, revision, previous = 'revision', tonumber(seen[3]) + 1, seen[2]
      cluster = seen[4] or id
    else
      revision = 1
      local first = redis.call('GET', fp_key)
      if first and first ~= id then
        -- the same text under another id: its story is the first one's
        local first_seen_key = string.sub(seen_key, 1, #seen_key - #id) .. first
        status, duplicate_of, kind, similarity = 'duplicate', first, 'exact', '1.0'
        cluster = redis.call('HGET', first_seen_key, 'cluster') or first
        index = false -- its signature is the first one's
      else
        status, cluster = 'new', id
        if index then
          local sig_prefix = string.sub(sig_key, 1, #sig_key - #id)
          local near, near_cluster, same
          near, near_cluster, same, trim = nd_find(id, sig, sig_prefix, buckets)
          if near then
            status, duplicate_of, cluster, kind = 'near_duplicate', near, near_cluster, 'near'
            similarity = string.format('%.2f', same * 2 / #sig)
          end
        end
      end
    end
    redis.call('SET', fp_key, id, 'NX', 'EX', ttl)
    local article = body .. ',"duplicate_of":' .. json_or_null(duplicate_of)
      .. ',"duplicate_kind":' .. json_or_null(kind)
      .. ',"similarity":' .. (similarity or 'null')
      .. ',"cluster":' .. json_or_null(cluster)
      .. ',"revision":' .. revision
      .. ',"previous_entry":' .. json_or_null(previous) .. '}'
    local entry = xadd(stream, {'id', id, 'v', version, 'article', article})
    redis.call('HSET', seen_key, 'fp', fp, 'entry', entry, 'rev', revision, 'cluster', cluster)
    redis.call('EXPIRE', seen_key, ttl)
    if index then
      nd_index(id, cluster, sig, sig_key, buckets, trim)
    end
    redis.call('HINCRBY', stats, status, 1)
    results[#results + 1] = {status, entry}
  end
end

nd_count()

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
-- While an article waits for its enrichment (unenriched), the payload stays.
if drop_payload and deferred == 0 then
  redis.call('DEL', payload)
  redis.call('SET', KEYS[#KEYS], '1', 'EX', tonumber(ARGV[#ARGV]))
end

if minid ~= '' then
  redis.call('XTRIM', stream, 'MINID', '~', minid)
end
return results
