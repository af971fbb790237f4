// The Lua scripts of the Redis store (redis_store.cpp, where the data model is described). Each
// runs alone in Redis, so every call of the store is applied whole or not at all.
#pragma once

namespace aia::runtime::detail {

/// KEYS: users, expiry, ids, then ev and snap of each user of the call. ARGV: n, the n user ids,
/// then ops: 'e' user# seq member stored_at | 's' user# seq data updated_at. Checks all events,
/// then writes.
inline constexpr const char* write_script = R"lua(
local n = tonumber(ARGV[1])
local seen = {}
local i = n + 2
while i <= #ARGV do
  if ARGV[i] == 'e' then
    local u, seq = tonumber(ARGV[i + 1]), ARGV[i + 2]
    local id = u .. ':' .. seq
    if seen[id] or redis.call('ZCOUNT', KEYS[2 * u + 2], seq, seq) > 0 then
      return redis.error_reply('DUPLICATE event seq ' .. seq .. ' exists; nothing written')
    end
    seen[id] = true
  end
  i = i + 5
end
i = n + 2
while i <= #ARGV do
  local u, seq = tonumber(ARGV[i + 1]), ARGV[i + 2]
  if ARGV[i] == 'e' then
    redis.call('ZADD', KEYS[2 * u + 2], seq, ARGV[i + 3])
    redis.call('ZADD', KEYS[2], ARGV[i + 4], seq .. ':' .. ARGV[u + 1])
  else
    local cur = redis.call('HGET', KEYS[2 * u + 3], 'seq')
    if not cur or tonumber(cur) <= tonumber(seq) then
      redis.call('HSET', KEYS[2 * u + 3], 'seq', seq, 'data', ARGV[i + 3],
                 'updated_at', ARGV[i + 4])
    end
  end
  i = i + 5
end
for j = 2, n + 1 do
  redis.call('SADD', KEYS[1], ARGV[j])
  redis.call('ZADD', KEYS[3], 0, ARGV[j])
end
return n
)lua";

/// KEYS: snap, ev, rec of one user. Returns {snap seq or '', data, updated_at, {member, seq,
/// ...}, {field, value, ...}}: the members after the snapshot, then the record fields.
inline constexpr const char* load_script = R"lua(
local s = redis.call('HMGET', KEYS[1], 'seq', 'data', 'updated_at')
local ev = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. (s[1] or '0'), '+inf', 'WITHSCORES')
return {s[1] or '', s[2] or '', s[3] or '', ev, redis.call('HGETALL', KEYS[3])}
)lua";

/// KEYS: ev of one user. ARGV: after seq, limit. Returns {member, seq, ...} in seq order.
inline constexpr const char* events_script = R"lua(
return redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf', 'WITHSCORES', 'LIMIT', 0,
                  tonumber(ARGV[2]))
)lua";

/// KEYS: rec of one user, ids. ARGV: kind, the version it must have now (decimal, '0' for none),
/// the new version, sealed data, updated_at, the user id. Returns {1, new version} or {0, the
/// stored version}.
/// Versions compare as the decimal strings both sides write, so no double rounds them.
inline constexpr const char* put_record_script = R"lua(
local cur = redis.call('HGET', KEYS[1], ARGV[1] .. ':version') or '0'
if cur ~= ARGV[2] then
  return {0, cur}
end
redis.call('HSET', KEYS[1], ARGV[1] .. ':version', ARGV[3], ARGV[1] .. ':data', ARGV[4],
           ARGV[1] .. ':updated_at', ARGV[5])
redis.call('ZADD', KEYS[2], 0, ARGV[6])
return {1, ARGV[3]}
)lua";

/// KEYS: ev, snap, rec of one user, users, expiry, ids. ARGV: the user id. Deletes the user's
/// keys, its expiry members and its users and ids entries; returns {events, snapshots, records}
/// removed.
inline constexpr const char* erase_script = R"lua(
local scores = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
local members = {}
for i = 2, #scores, 2 do
  members[#members + 1] = string.format('%d', tonumber(scores[i])) .. ':' .. ARGV[1]
  if #members == 500 then
    redis.call('ZREM', KEYS[5], unpack(members))
    members = {}
  end
end
if #members > 0 then
  redis.call('ZREM', KEYS[5], unpack(members))
end
local records = 0
for _, f in ipairs(redis.call('HKEYS', KEYS[3])) do
  if string.sub(f, -8) == ':version' then
    records = records + 1
  end
end
local snapshots = redis.call('EXISTS', KEYS[2])
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
redis.call('SREM', KEYS[4], ARGV[1])
redis.call('ZREM', KEYS[6], ARGV[1])
return {#scores / 2, snapshots, records}
)lua";

/// KEYS: expiry. ARGV: key prefix, cutoff, limit, first rank, count. Looks at `count` expiry
/// members from rank `first` on (oldest first; by rank, so that reaching it costs O(log n), not
/// a walk over the members before it) and removes each event older than the cutoff that its
/// user's snapshot covers, up to `limit`. Returns {removed, skipped (not covered, still
/// indexed), 1 if no older member is left past these}: the caller's next rank grows by
/// `skipped`, as the removed members no longer take a rank.
inline constexpr const char* expire_script = R"lua(
local prefix, cutoff, limit = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local first, count = tonumber(ARGV[4]), tonumber(ARGV[5])
local entries = redis.call('ZRANGE', KEYS[1], first, first + count - 1, 'WITHSCORES')
local removed, skipped, covered = 0, 0, {}
local done = #entries < 2 * count
for i = 1, #entries, 2 do
  if removed >= limit then
    break
  end
  if tonumber(entries[i + 1]) >= cutoff then
    done = true
    break
  end
  local m = entries[i]
  local colon = string.find(m, ':', 1, true)
  if not colon then
    skipped = skipped + 1
  else
    local seq, user = string.sub(m, 1, colon - 1), string.sub(m, colon + 1)
    if covered[user] == nil then
      covered[user] = tonumber(redis.call('HGET', prefix .. 'snap:' .. user, 'seq') or '-1')
    end
    if tonumber(seq) <= covered[user] then
      removed = removed + redis.call('ZREMRANGEBYSCORE', prefix .. 'ev:' .. user, seq, seq)
      redis.call('ZREM', KEYS[1], m)
    else
      skipped = skipped + 1
    end
  end
end
return {removed, skipped, done and 1 or 0}
)lua";

/// KEYS: ids. ARGV: key prefix, then user ids. Adds to ids each user that has any key left, so a
/// user erased while the index was being built is not brought back. Returns how many it added.
inline constexpr const char* index_script = R"lua(
local added = 0
for i = 2, #ARGV do
  local u = ARGV[i]
  if redis.call('EXISTS', ARGV[1] .. 'ev:' .. u, ARGV[1] .. 'snap:' .. u, ARGV[1] .. 'rec:' .. u)
     > 0 then
    added = added + redis.call('ZADD', KEYS[1], 0, u)
  end
end
return added
)lua";

/// KEYS: ids, its built marker. ARGV: key prefix, the id to start after ('' = from the start),
/// limit. Returns 0 if the index is not built yet, else one entry per user in id order: {user,
/// snap seq or '', snap data, snap updated_at, events held, least stored_at or '', {record
/// field, value, ...}}. stored_at is the 5th item of an event's member (after its 1-byte array
/// header), read with cmsgpack.unpack_one: cmsgpack cannot decode the payload (bin) after it.
inline constexpr const char* scan_script = R"lua(
if redis.call('EXISTS', KEYS[2]) == 0 then
  return 0
end
local p = ARGV[1]
local function stored_at(m)
  local offset, value = 1, nil
  for _ = 1, 5 do
    offset, value = cmsgpack.unpack_one(m, offset)
  end
  return value
end
local from = ARGV[2] == '' and '-' or '(' .. ARGV[2]
local out = {}
for _, u in ipairs(redis.call('ZRANGEBYLEX', KEYS[1], from, '+', 'LIMIT', 0, ARGV[3])) do
  local s = redis.call('HMGET', p .. 'snap:' .. u, 'seq', 'data', 'updated_at')
  local members = redis.call('ZRANGE', p .. 'ev:' .. u, 0, -1)
  local oldest = nil
  for _, m in ipairs(members) do
    local ok, at = pcall(stored_at, m)
    if ok and type(at) == 'number' and (oldest == nil or at < oldest) then
      oldest = at
    end
  end
  out[#out + 1] = {u, s[1] or '', s[2] or '', s[3] or '', #members,
                   oldest and string.format('%.17g', oldest) or '',
                   redis.call('HGETALL', p .. 'rec:' .. u)}
end
return out
)lua";

} // namespace aia::runtime::detail
