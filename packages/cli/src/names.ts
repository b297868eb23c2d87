/** Generated peer names for when `--name` is not given: `<user>-<4 hex>`, valid under the protocol. */
import { randomBytes } from 'node:crypto';
import { userInfo } from 'node:os';
import { LIMITS, NAME_PATTERN } from '@parley/protocol';

/**
 * A readable, probably unique name: the login name (cleaned to the protocol's alphabet) and a
 * random suffix, e.g. `alice-3f2a`. Falls back to `parley-…` when the login name is unusable.
 */
export function generateName(prefix?: string): string {
  let base = prefix ?? safeUser();
  base = base.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^-+|-+$/g, '');
  if (!base) base = 'parley';
  const suffix = randomBytes(2).toString('hex');
  const name = `${base.slice(0, LIMITS.nameMaxChars - suffix.length - 1)}-${suffix}`;
  return NAME_PATTERN.test(name) ? name : `parley-${suffix}`;
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'parley';
  }
}
