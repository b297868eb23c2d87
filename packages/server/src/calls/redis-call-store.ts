/**
 * Calls held in Redis, so that the two parties of a call may live on different nodes and a call
 * survives its parties moving between nodes (resume elsewhere). Same contract as
 * `MemoryCallStore`: a name is in at most one call, checked atomically for both parties by a Lua
 * script; `remove` returns the call only to the first caller, so exactly one ender notifies.
 *
 * Keys (P = the directory's prefix): `P call:<id>` hash {caller, callee, state, ru (ring end,
 * epoch ms, while ringing)};
 * `P callof:<name>` → call id; `call.resume` claims `P claim:<id>:<name>` → peer (expiring), and
 * `P claims:<name>`, the set of call ids `name` claimed (to drop them when its session ends). Records carry a long safety TTL (a call whose every party is gone
 * is ended by the directory's reaper well before; the TTL only bounds leaks).
 */
import type { Redis } from 'ioredis';
import type {
  CallClaim,
  CallRecord,
  CallState,
  CallStore,
  ClaimResult,
  CreateCallResult,
} from './call-store.ts';

/** Upper bound on how long a call record may stay in Redis (a day). */
const CALL_TTL_S = 86_400;

const CREATE = `
local P, id, caller, callee, ttl = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5])
if redis.call('EXISTS', P .. 'callof:' .. caller) == 1 then return 'caller_busy' end
if redis.call('EXISTS', P .. 'callof:' .. callee) == 1 then return 'callee_busy' end
local k = P .. 'call:' .. id
redis.call('HSET', k, 'caller', caller, 'callee', callee, 'state', 'ringing', 'ru', ARGV[6])
redis.call('EXPIRE', k, ttl)
redis.call('SET', P .. 'callof:' .. caller, id, 'EX', ttl)
redis.call('SET', P .. 'callof:' .. callee, id, 'EX', ttl)
return 'ok'`;

const ACTIVATE = `
local k = ARGV[1] .. 'call:' .. ARGV[2]
if redis.call('HGET', k, 'state') ~= 'ringing' then return 0 end
redis.call('HSET', k, 'state', 'active')
return 1`;

const REMOVE = `
local P, id = ARGV[1], ARGV[2]
local k = P .. 'call:' .. id
local c = redis.call('HMGET', k, 'caller', 'callee', 'state')
if not c[1] then return false end
if ARGV[3] ~= '' and c[3] ~= ARGV[3] then return false end
redis.call('DEL', k)
for i = 1, 2 do
  local ck = P .. 'callof:' .. c[i]
  if redis.call('GET', ck) == id then redis.call('DEL', ck) end
end
return c`;

const CLAIM = `
local P, id, name, peer, ttl, dayttl = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6])
local k = P .. 'call:' .. id
local c = redis.call('HMGET', k, 'caller', 'callee')
if c[1] then
  if (c[1] == name and c[2] == peer) or (c[1] == peer and c[2] == name) then return 'exists' end
  return 'refused'
end
if redis.call('EXISTS', P .. 'callof:' .. name) == 1 then return 'refused' end
local theirs = P .. 'claim:' .. id .. ':' .. peer
if redis.call('GET', theirs) == name then
  if redis.call('EXISTS', P .. 'callof:' .. peer) == 1 then return 'refused' end
  redis.call('DEL', theirs, P .. 'claim:' .. id .. ':' .. name)
  redis.call('SREM', P .. 'claims:' .. peer, id)
  redis.call('SREM', P .. 'claims:' .. name, id)
  redis.call('HSET', k, 'caller', peer, 'callee', name, 'state', 'active')
  redis.call('EXPIRE', k, dayttl)
  redis.call('SET', P .. 'callof:' .. peer, id, 'EX', dayttl)
  redis.call('SET', P .. 'callof:' .. name, id, 'EX', dayttl)
  return 'matched'
end
redis.call('SET', P .. 'claim:' .. id .. ':' .. name, peer, 'PX', ttl)
redis.call('SADD', P .. 'claims:' .. name, id)
redis.call('PEXPIRE', P .. 'claims:' .. name, ttl)
return 'pending'`;

const DROP_CLAIMS = `
local P, name = ARGV[1], ARGV[2]
local ids = redis.call('SMEMBERS', P .. 'claims:' .. name)
for _, id in ipairs(ids) do redis.call('DEL', P .. 'claim:' .. id .. ':' .. name) end
redis.call('DEL', P .. 'claims:' .. name)
return #ids`;

type Script = (...args: (string | number)[]) => Promise<unknown>;
interface Scripts {
  parleyCallCreate: Script;
  parleyCallActivate: Script;
  parleyCallRemove: Script;
  parleyCallClaim: Script;
  parleyCallDropClaims: Script;
}

/** A `CallStore` in Redis, sharing the directory's connection and prefix. */
export class RedisCallStore implements CallStore {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #scripts: Scripts;

  constructor(redis: Redis, prefix: string) {
    this.#redis = redis;
    this.#prefix = prefix;
    redis.defineCommand('parleyCallCreate', { lua: CREATE, numberOfKeys: 0 });
    redis.defineCommand('parleyCallActivate', { lua: ACTIVATE, numberOfKeys: 0 });
    redis.defineCommand('parleyCallRemove', { lua: REMOVE, numberOfKeys: 0 });
    redis.defineCommand('parleyCallClaim', { lua: CLAIM, numberOfKeys: 0 });
    redis.defineCommand('parleyCallDropClaims', { lua: DROP_CLAIMS, numberOfKeys: 0 });
    this.#scripts = redis as unknown as Scripts;
  }

  async create(call: CallRecord): Promise<CreateCallResult> {
    return (await this.#scripts.parleyCallCreate(
      this.#prefix,
      call.id,
      call.caller,
      call.callee,
      CALL_TTL_S,
      call.ringsUntil ?? 0,
    )) as CreateCallResult;
  }

  async get(id: string): Promise<CallRecord | null> {
    const [caller, callee, state, ru] = await this.#redis.hmget(
      `${this.#prefix}call:${id}`,
      'caller',
      'callee',
      'state',
      'ru',
    );
    if (!caller || !callee) return null;
    const ringsUntil = Number(ru);
    return {
      id,
      caller,
      callee,
      state: state as CallState,
      ...(state === 'ringing' && ringsUntil > 0 ? { ringsUntil } : {}),
    };
  }

  async callOf(name: string): Promise<CallRecord | null> {
    const id = await this.#redis.get(`${this.#prefix}callof:${name}`);
    return id === null ? null : this.get(id);
  }

  async activate(id: string): Promise<boolean> {
    return (await this.#scripts.parleyCallActivate(this.#prefix, id)) === 1;
  }

  async remove(id: string, onlyIf?: CallState): Promise<CallRecord | null> {
    const c = (await this.#scripts.parleyCallRemove(this.#prefix, id, onlyIf ?? '')) as
      | [string, string, string]
      | null;
    if (!c) return null;
    return { id, caller: c[0], callee: c[1], state: c[2] as CallState };
  }

  async claim(claim: CallClaim, ttlMs: number): Promise<ClaimResult> {
    return (await this.#scripts.parleyCallClaim(
      this.#prefix,
      claim.call,
      claim.name,
      claim.peer,
      Math.max(1, Math.round(ttlMs)),
      CALL_TTL_S,
    )) as ClaimResult;
  }

  async dropClaims(name: string): Promise<void> {
    await this.#scripts.parleyCallDropClaims(this.#prefix, name);
  }
}
