/**
 * The Lua scripts behind `RedisDirectory`. Each runs atomically in Redis, which is what makes a
 * name claim, a room join within capacity, or the park/take of a detached session race-free
 * between nodes. Keys are built inside the scripts from the prefix in ARGV[1], so this targets a
 * standalone Redis (or a Sentinel-managed primary), not Redis Cluster.
 *
 * Key layout (P = prefix, default `parley:`):
 *
 * | key | type | holds |
 * | --- | --- | --- |
 * | `P node:<id>` | string, PX | the node's heartbeat; gone = the node is dead |
 * | `P nodes` | set | every node that registered (reaped ones are removed) |
 * | `P nn:<id>` / `P nt:<id>` | set | names / live session tokens held by a node |
 * | `P name:<name>` | string | the holder: a node id, or `@<token>` while the session is parked |
 * | `P names` | set | every claimed name (presence) |
 * | `P room:<room>` | set | members; `P rpw:<room>` its password hash; `P rooms` every room |
 * | `P ro:<name>` | set | the rooms of a name |
 * | `P sfu:<room>` | hash | the room's SFU placement: janus (URL), from (1 = created as SFU), epoch, down (0/1) |
 * | `P sfurooms` | set | every room with an SFU placement |
 * | `P rctl:<room>` | hash | the room's moderation state: v (version), t (JSON text, rooms/room-control.ts) |
 * | `P tok:<token>` | string | `<node>\n<name>`: the node holding a live session, and its name |
 * | `P sess:<token>` | hash, PX | a parked session: name, auth (JSON), sealed (0/1), qb (bytes queued) |
 * | `P q:<token>` | list, PX | frames queued for a parked session, oldest first, bounded in frames and bytes |
 * | `P parked` | zset | parked sessions (`<token>\n<name>`) by grace deadline (ms, Redis's clock) |
 *
 * Channels: `P bus:<id>` (frames and control for one node), `P presence:batch` (names on/offline,
 * batched per process; see redis.ts), `P presence` (one name per message: what nodes before the
 * batching published from these scripts, still heard during a rolling upgrade). A script publishes
 * on `P presence` only when given a payload; this version gives none.
 * Bus payloads: `d<len>:<name><frame>` a frame for a local session, `m<id>` a marker the node
 * sent itself, `e<token>` "let go of this live session".
 */

/** Shared Lua helpers, prepended to scripts that remove a name. */
const REMOVE_NAME = `
local function removeName(P, name, presence)
  redis.call('DEL', P .. 'name:' .. name)
  redis.call('SREM', P .. 'names', name)
  local rooms = redis.call('SMEMBERS', P .. 'ro:' .. name)
  for _, room in ipairs(rooms) do
    local rk = P .. 'room:' .. room
    redis.call('SREM', rk, name)
    if redis.call('SCARD', rk) == 0 then
      redis.call('DEL', P .. 'rpw:' .. room, P .. 'sfu:' .. room, P .. 'rctl:' .. room)
      redis.call('SREM', P .. 'rooms', room)
      redis.call('SREM', P .. 'sfurooms', room)
    end
  end
  redis.call('DEL', P .. 'ro:' .. name)
  if presence ~= '' then redis.call('PUBLISH', P .. 'presence', presence) end
  return rooms
end
`;

/** The scripts, by command name (registered with ioredis `defineCommand`). */
export const SCRIPTS = {
  /** ARGV: P, name, node, presencePayload → 1 claimed, 0 taken. */
  parleyClaim: `
local P, name, node = ARGV[1], ARGV[2], ARGV[3]
if not redis.call('SET', P .. 'name:' .. name, node, 'NX') then return 0 end
redis.call('SADD', P .. 'names', name)
redis.call('SADD', P .. 'nn:' .. node, name)
if ARGV[4] ~= '' then redis.call('PUBLISH', P .. 'presence', ARGV[4]) end
return 1`,

  /** ARGV: P, name, node, presencePayload → 1 released, 0 not held by node. */
  parleyRelease: `
local P, name, node = ARGV[1], ARGV[2], ARGV[3]
if redis.call('GET', P .. 'name:' .. name) ~= node then return 0 end
redis.call('DEL', P .. 'name:' .. name)
redis.call('SREM', P .. 'names', name)
redis.call('SREM', P .. 'nn:' .. node, name)
if ARGV[4] ~= '' then redis.call('PUBLISH', P .. 'presence', ARGV[4]) end
return 1`,

  /**
   * ARGV: P, room, name, maxPeers, hash ('' = none), control ('' = none; the moderation state
   * stored when this join creates the room) → {1, already(0/1), members...} joined,
   * {0, 'full'|'stale'} refused.
   */
  parleyJoin: `
local P, room, name, max, hash, ctl = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5], ARGV[6]
local rk = P .. 'room:' .. room
if redis.call('SISMEMBER', rk, name) == 1 then
  local m = redis.call('SMEMBERS', rk)
  return {1, 1, m}
end
local n = redis.call('SCARD', rk)
local pk = P .. 'rpw:' .. room
if n > 0 then
  local stored = redis.call('GET', pk) or ''
  if stored ~= hash then return {0, 'stale'} end
  if n >= max then return {0, 'full'} end
else
  if max < 1 then return {0, 'full'} end
  redis.call('DEL', pk)
  if hash ~= '' then redis.call('SET', pk, hash) end
  local ck = P .. 'rctl:' .. room
  redis.call('DEL', ck)
  if ctl ~= '' then redis.call('HSET', ck, 'v', 1, 't', ctl) end
  redis.call('SADD', P .. 'rooms', room)
end
redis.call('SADD', rk, name)
redis.call('SADD', P .. 'ro:' .. name, room)
return {1, 0, redis.call('SMEMBERS', rk)}`,

  /** Compare-and-set of a room's moderation state. ARGV: P, room, version, text → 1 stored, 0 not. */
  parleyCtlSet: `
local P, room = ARGV[1], ARGV[2]
if redis.call('SCARD', P .. 'room:' .. room) == 0 then return 0 end
local k = P .. 'rctl:' .. room
local v = tonumber(redis.call('HGET', k, 'v') or '0')
if v ~= tonumber(ARGV[3]) then return 0 end
redis.call('HSET', k, 'v', v + 1, 't', ARGV[4])
return 1`,

  /** ARGV: P, room, name → 1 left, 0 was not a member. */
  parleyLeave: `
local P, room, name = ARGV[1], ARGV[2], ARGV[3]
local rk = P .. 'room:' .. room
if redis.call('SREM', rk, name) == 0 then return 0 end
redis.call('SREM', P .. 'ro:' .. name, room)
if redis.call('SCARD', rk) == 0 then
  redis.call('DEL', P .. 'rpw:' .. room, P .. 'sfu:' .. room, P .. 'rctl:' .. room)
  redis.call('SREM', P .. 'rooms', room)
  redis.call('SREM', P .. 'sfurooms', room)
end
return 1`,

  /**
   * Sets a room's SFU placement unless it has one. ARGV: P, room, janus, from, epoch, down →
   * {0} the room is empty, {1|2, janus, from, epoch, down} the stored placement (2 = created now).
   */
  parleySfuPlace: `
local P, room = ARGV[1], ARGV[2]
if redis.call('SCARD', P .. 'room:' .. room) == 0 then return {0} end
local k = P .. 'sfu:' .. room
local created = 1
if redis.call('EXISTS', k) == 0 then
  redis.call('HSET', k, 'janus', ARGV[3], 'from', ARGV[4], 'epoch', ARGV[5], 'down', ARGV[6])
  redis.call('SADD', P .. 'sfurooms', room)
  created = 2
end
local v = redis.call('HMGET', k, 'janus', 'from', 'epoch', 'down')
return {created, v[1], v[2], v[3], v[4]}`,

  /** Compare-and-set on the epoch. ARGV: P, room, epoch, janus, from, newEpoch, down → 1 replaced, 0 not. */
  parleySfuReplace: `
local P, room = ARGV[1], ARGV[2]
local k = P .. 'sfu:' .. room
if redis.call('HGET', k, 'epoch') ~= ARGV[3] then return 0 end
redis.call('HSET', k, 'janus', ARGV[4], 'from', ARGV[5], 'epoch', ARGV[6], 'down', ARGV[7])
return 1`,

  /**
   * Back to mesh if the epoch still matches, the room was not created as SFU and has at most
   * maxMembers members. ARGV: P, room, epoch, maxMembers → 1 removed, 0 not.
   */
  parleySfuRemove: `
local P, room = ARGV[1], ARGV[2]
local k = P .. 'sfu:' .. room
local v = redis.call('HMGET', k, 'epoch', 'from')
if v[1] ~= ARGV[3] or v[2] == '1' then return 0 end
if redis.call('SCARD', P .. 'room:' .. room) > tonumber(ARGV[4]) then return 0 end
redis.call('DEL', k)
redis.call('SREM', P .. 'sfurooms', room)
return 1`,

  /** Every SFU room. ARGV: P → {room, janus, from, epoch, down, members, ...}. */
  parleySfuRooms: `
local P = ARGV[1]
local out = {}
for _, room in ipairs(redis.call('SMEMBERS', P .. 'sfurooms')) do
  local v = redis.call('HMGET', P .. 'sfu:' .. room, 'janus', 'from', 'epoch', 'down')
  if v[1] then
    table.insert(out, room)
    table.insert(out, v[1])
    table.insert(out, v[2])
    table.insert(out, v[3])
    table.insert(out, v[4])
    table.insert(out, redis.call('SCARD', P .. 'room:' .. room))
  else
    redis.call('SREM', P .. 'sfurooms', room)
  end
end
return out`,

  /**
   * Routes one frame. ARGV: P, name, frame, localNodes (comma-separated), queueMax,
   * queueMaxBytes → {0} nobody, {1} published to the holder's bus, {2, dropped} queued for a
   * parked session (dropped: frames dropped to keep its queue within queueMax frames and
   * queueMaxBytes bytes, oldest first; a frame over queueMaxBytes alone is itself dropped),
   * {3, node} held by a node of this process (the caller delivers it in-process).
   */
  parleyDeliver: `
local P, name, frame = ARGV[1], ARGV[2], ARGV[3]
local owner = redis.call('GET', P .. 'name:' .. name)
if not owner then return {0} end
if string.byte(owner, 1) == 64 then
  local token = string.sub(owner, 2)
  local s = P .. 'sess:' .. token
  local ttl = redis.call('PTTL', s)
  if ttl <= 0 then return {0} end
  local size, maxN, maxB = string.len(frame), tonumber(ARGV[5]), tonumber(ARGV[6])
  if size > maxB then return {2, 1} end
  local q = P .. 'q:' .. token
  local n = redis.call('RPUSH', q, frame)
  local qb = redis.call('HINCRBY', s, 'qb', size)
  local dropped = 0
  while n > 1 and (n > maxN or qb > maxB) do
    qb = redis.call('HINCRBY', s, 'qb', -string.len(redis.call('LPOP', q)))
    n = n - 1
    dropped = dropped + 1
  end
  redis.call('PEXPIRE', q, ttl)
  return {2, dropped}
end
if redis.call('EXISTS', P .. 'node:' .. owner) == 0 then return {0} end
for id in string.gmatch(ARGV[4], '[^,]+') do
  if id == owner then return {3, owner} end
end
redis.call('PUBLISH', P .. 'bus:' .. owner, 'd' .. string.len(name) .. ':' .. name .. frame)
return {1}`,

  /** ARGV: P, token, node, name → records which node holds a live session. */
  parleyStarted: `
redis.call('SET', ARGV[1] .. 'tok:' .. ARGV[2], ARGV[3] .. '\\n' .. ARGV[4])
redis.call('SADD', ARGV[1] .. 'nt:' .. ARGV[3], ARGV[2])
return 1`,

  /**
   * A live session's token rotated. ARGV: P, oldToken, newToken, node, name → 1 rotated, 0 the
   * old token is not this node's live session of that name (any more).
   */
  parleyRotated: `
local P, old, new, node, name = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local v = redis.call('GET', P .. 'tok:' .. old)
if v ~= node .. '\\n' .. name then return 0 end
redis.call('DEL', P .. 'tok:' .. old)
redis.call('SREM', P .. 'nt:' .. node, old)
redis.call('SET', P .. 'tok:' .. new, v)
redis.call('SADD', P .. 'nt:' .. node, new)
return 1`,

  /** ARGV: P, token → forgets a session's token wherever it was. */
  parleyEnded: `
local P, token = ARGV[1], ARGV[2]
local v = redis.call('GET', P .. 'tok:' .. token)
if v then
  local sep = string.find(v, '\\n', 1, true)
  redis.call('SREM', P .. 'nt:' .. (sep and string.sub(v, 1, sep - 1) or v), token)
end
redis.call('DEL', P .. 'tok:' .. token)
return 1`,

  /**
   * Parks a detached session: its name now routes to the queue. Its grace deadline is Redis's own
   * clock (TIME) plus graceMs, so nodes with skewed clocks agree on it; the `parked` member
   * carries the name (`<token>\n<name>`), so the reaper frees the name even when the session hash
   * has expired (a whole cluster was down for longer than its safety TTL). ARGV: P, name, node,
   * token, authJson, graceMs, keepMs → 1 parked, 0 the name is not held by this node.
   */
  parleyPark: `
local P, name, node, token = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local nk = P .. 'name:' .. name
if redis.call('GET', nk) ~= node then return 0 end
redis.call('SET', nk, '@' .. token)
redis.call('SREM', P .. 'nn:' .. node, name)
redis.call('SREM', P .. 'nt:' .. node, token)
redis.call('DEL', P .. 'tok:' .. token)
local s = P .. 'sess:' .. token
redis.call('DEL', s, P .. 'q:' .. token)
redis.call('HSET', s, 'name', name, 'auth', ARGV[5], 'sealed', '0', 'qb', '0')
redis.call('PEXPIRE', s, tonumber(ARGV[7]))
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', P .. 'parked', now + tonumber(ARGV[6]), token .. '\\n' .. name)
return 1`,

  /**
   * Puts the frames the parking node still held ahead of the queue and lets takers in, keeping
   * the newest within queueMax frames and queueMaxBytes bytes. ARGV: P, token, queueMax,
   * queueMaxBytes, frames... (oldest first) → {1, dropped} sealed, {0} already reaped.
   */
  parleySeal: `
local P, token = ARGV[1], ARGV[2]
local s = P .. 'sess:' .. token
if redis.call('EXISTS', s) == 0 then return {0} end
local q = P .. 'q:' .. token
local added = 0
for i = #ARGV, 5, -1 do
  redis.call('LPUSH', q, ARGV[i])
  added = added + string.len(ARGV[i])
end
local qb = redis.call('HINCRBY', s, 'qb', added)
local n = redis.call('LLEN', q)
local maxN, maxB = tonumber(ARGV[3]), tonumber(ARGV[4])
local dropped = 0
while n > 0 and (n > maxN or qb > maxB) do
  qb = redis.call('HINCRBY', s, 'qb', -string.len(redis.call('LPOP', q)))
  n = n - 1
  dropped = dropped + 1
end
if n > 0 then redis.call('PEXPIRE', q, redis.call('PTTL', s)) end
redis.call('HSET', s, 'sealed', '1')
return {1, dropped}`,

  /**
   * Takes a parked session for this node. ARGV: P, token, node, name →
   * {3, name, auth, rooms, frames} taken, {1} parked but not sealed yet (retry),
   * {2, node} live on another node (ask it to let go, retry), {0} no such session (or it is
   * not named `name`: a token resumes its own session's name only).
   * A live session whose node died (heartbeat gone, not yet swept) is taken too, with its name,
   * rooms and call but without queued frames: the token proves the client owns it, and its peers
   * never see it leave.
   */
  parleyTake: `
local P, token, node = ARGV[1], ARGV[2], ARGV[3]
local s = P .. 'sess:' .. token
if redis.call('EXISTS', s) == 0 then
  local v = redis.call('GET', P .. 'tok:' .. token)
  if not v then return {0} end
  local sep = string.find(v, '\\n', 1, true)
  if not sep then return {0} end
  local live, lname = string.sub(v, 1, sep - 1), string.sub(v, sep + 1)
  if lname ~= ARGV[4] then return {0} end
  if live == node then return {0} end
  if redis.call('EXISTS', P .. 'node:' .. live) == 1 then return {2, live} end
  local nk = P .. 'name:' .. lname
  if redis.call('GET', nk) ~= live then return {0} end
  redis.call('SET', nk, node)
  redis.call('SREM', P .. 'nn:' .. live, lname)
  redis.call('SADD', P .. 'nn:' .. node, lname)
  redis.call('SREM', P .. 'nt:' .. live, token)
  redis.call('SADD', P .. 'nt:' .. node, token)
  redis.call('SET', P .. 'tok:' .. token, node .. '\\n' .. lname)
  return {3, lname, 'null', redis.call('SMEMBERS', P .. 'ro:' .. lname), {}}
end
local name = redis.call('HGET', s, 'name')
if name ~= ARGV[4] then return {0} end
if redis.call('HGET', s, 'sealed') ~= '1' then return {1} end
local nk = P .. 'name:' .. name
if redis.call('GET', nk) ~= '@' .. token then return {0} end
redis.call('SET', nk, node)
redis.call('SADD', P .. 'nn:' .. node, name)
redis.call('SET', P .. 'tok:' .. token, node .. '\\n' .. name)
redis.call('SADD', P .. 'nt:' .. node, token)
redis.call('ZREM', P .. 'parked', token .. '\\n' .. name, token)
local q = P .. 'q:' .. token
local frames = redis.call('LRANGE', q, 0, -1)
local auth = redis.call('HGET', s, 'auth')
redis.call('DEL', q, s)
return {3, name, auth, redis.call('SMEMBERS', P .. 'ro:' .. name), frames}`,

  /**
   * Removes a name of a dead node. ARGV: P, name, deadNode, presencePayload →
   * {1, rooms} removed, {0} the name is no longer the dead node's.
   */
  parleyReapName: `${REMOVE_NAME}
local P, name = ARGV[1], ARGV[2]
if redis.call('GET', P .. 'name:' .. name) ~= ARGV[3] then return {0} end
return {1, removeName(P, name, ARGV[4])}`,

  /**
   * Ends parked sessions whose grace ran out (Redis's clock), at most `batch` of them per call so
   * that one call never holds Redis for long; the caller calls again at once while `left` > 0.
   * Any node may run it: each session is removed by exactly one call. ARGV: P, batch,
   * presencePrefix → {nowMs, left (still due), parked (all), oldestDueMs ('' none), {name1,
   * rooms1, name2, rooms2, ...}} — the names freed (a session taken meanwhile is not there).
   */
  parleyReapDue: `${REMOVE_NAME}
local P, batch, pp = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local zk = P .. 'parked'
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local out = {}
for _, member in ipairs(redis.call('ZRANGEBYSCORE', zk, '-inf', now, 'LIMIT', 0, batch)) do
  redis.call('ZREM', zk, member)
  local sep = string.find(member, '\\n', 1, true)
  local token, name
  if sep then
    token, name = string.sub(member, 1, sep - 1), string.sub(member, sep + 1)
  else
    token = member
    name = redis.call('HGET', P .. 'sess:' .. token, 'name')
  end
  redis.call('DEL', P .. 'sess:' .. token, P .. 'q:' .. token)
  if name and redis.call('GET', P .. 'name:' .. name) == '@' .. token then
    table.insert(out, name)
    table.insert(out, removeName(P, name, pp ~= '' and (pp .. name) or ''))
  end
end
local left = redis.call('ZCOUNT', zk, '-inf', now)
local oldest = ''
if left > 0 then oldest = redis.call('ZRANGE', zk, 0, 0, 'WITHSCORES')[2] end
return {now, left, redis.call('ZCARD', zk), oldest, out}`,

  /**
   * What the reaper's once-a-second probe reads (no writes). ARGV: P → {nowMs, due, parked,
   * oldestDueMs ('' none)}.
   */
  parleyReapProbe: `
local zk = ARGV[1] .. 'parked'
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local due = redis.call('ZCOUNT', zk, '-inf', now)
local oldest = ''
if due > 0 then oldest = redis.call('ZRANGE', zk, 0, 0, 'WITHSCORES')[2] end
return {now, due, redis.call('ZCARD', zk), oldest}`,

  /**
   * Registers a live session again (after Redis lost its state or reaped this node while it was
   * cut off). ARGV: P, node, name, token, presencePayload, rooms... → 1 ok, 0 the name is held
   * elsewhere now.
   */
  parleyReclaim: `
local P, node, name, token = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local nk = P .. 'name:' .. name
local holder = redis.call('GET', nk)
if holder and holder ~= node then return 0 end
if not holder then
  redis.call('SET', nk, node)
  redis.call('SADD', P .. 'names', name)
  if ARGV[5] ~= '' then redis.call('PUBLISH', P .. 'presence', ARGV[5]) end
end
redis.call('SADD', P .. 'nn:' .. node, name)
redis.call('SET', P .. 'tok:' .. token, node .. '\\n' .. name)
redis.call('SADD', P .. 'nt:' .. node, token)
for i = 6, #ARGV do
  local room = ARGV[i]
  redis.call('SADD', P .. 'room:' .. room, name)
  redis.call('SADD', P .. 'ro:' .. name, room)
  redis.call('SADD', P .. 'rooms', room)
end
return 1`,
} as const;

export type ScriptName = keyof typeof SCRIPTS;
