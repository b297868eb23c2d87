/**
 * Reads `PARLEY_REDIS_URL` when it names Redis Sentinel instead of one Redis server:
 *
 *   redis+sentinel://[[user]:password@]host:port[,host:port…]/mastername[/db]
 *   rediss+sentinel://…   (TLS to the sentinels and to the Redis servers)
 *
 * The password is the Redis servers' (`requirepass`/ACL user); sentinels that require a
 * password of their own take it from the query: `?sentinelPassword=…`. A port may be left out
 * (26379, Sentinel's default). Pure (no I/O, no ioredis), so configuration can validate with it.
 *
 * May import: nothing.
 */

/** A Sentinel deployment as `PARLEY_REDIS_URL` describes it. */
export interface SentinelTarget {
  readonly sentinels: { host: string; port: number }[];
  /** The master's name in the sentinels' configuration (`sentinel monitor <name> …`). */
  readonly name: string;
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly sentinelPassword: string | undefined;
  readonly db: number;
  readonly tls: boolean;
}

const SENTINEL_URL =
  /^(rediss?)\+sentinel:\/\/(?:([^@/]*)@)?([^/?#@]+)\/([^/?#]+)(?:\/(\d{1,2}))?\/?(?:\?([^#]*))?$/;
const HOST_PORT = /^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::(\d{1,5}))?$/;

/** Whether `url` names Sentinel (`redis+sentinel://` or `rediss+sentinel://`). */
export function isSentinelUrl(url: string): boolean {
  return /^rediss?\+sentinel:\/\//.test(url);
}

/**
 * The Sentinel target of `url`, or a readable problem (never quoting the password). At most 16
 * sentinels, ports 1–65535, a master name of letters, digits, `.`, `_`, `-`, a db of 0–15.
 */
export function parseSentinelUrl(url: string): SentinelTarget | { problem: string } {
  const m = SENTINEL_URL.exec(url);
  if (!m)
    return {
      problem:
        'a Sentinel URL is redis+sentinel://[:password@]host:port[,host:port…]/mastername[/db] (or rediss+sentinel://)',
    };
  const [, scheme, auth, hosts, name, db, query] = m;
  const sentinels: { host: string; port: number }[] = [];
  for (const part of hosts!.split(',')) {
    const hp = HOST_PORT.exec(part.trim());
    const port = hp?.[2] === undefined ? 26379 : Number(hp[2]);
    if (!hp || port < 1 || port > 65535) return { problem: `sentinel address "${part}" is not host:port` };
    sentinels.push({ host: hp[1]!.replace(/^\[|\]$/g, ''), port });
  }
  if (sentinels.length > 16) return { problem: 'at most 16 sentinels' };
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(name!))
    return { problem: 'the master name must be letters, digits, ".", "_", "-" (at most 64)' };
  if (db !== undefined && Number(db) > 15) return { problem: 'the db must be 0–15' };
  let username: string | undefined;
  let password: string | undefined;
  if (auth !== undefined) {
    const colon = auth.indexOf(':');
    const decode = (s: string) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return undefined;
      }
    };
    const user = colon < 0 ? auth : auth.slice(0, colon);
    username = user ? decode(user) : undefined;
    password = colon < 0 ? undefined : decode(auth.slice(colon + 1));
    if ((user && username === undefined) || (colon >= 0 && password === undefined))
      return { problem: 'the user or password is not valid percent-encoding' };
  }
  let sentinelPassword: string | undefined;
  if (query) {
    const params = new URLSearchParams(query);
    for (const key of params.keys())
      if (key !== 'sentinelPassword')
        return { problem: `unknown parameter "${key}" (only sentinelPassword)` };
    sentinelPassword = params.get('sentinelPassword') ?? undefined;
  }
  return {
    sentinels,
    name: name!,
    username,
    password,
    sentinelPassword,
    db: db === undefined ? 0 : Number(db),
    tls: scheme === 'rediss',
  };
}
