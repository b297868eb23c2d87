/**
 * The building blocks of the variable tables: number ranges, comma-separated lists, and the
 * validators that check a value the way the module using it will parse it (an origin list with
 * auth/origin.ts, a trusted-proxy setting with auth/client-ip.ts, a key with auth/public-key.ts,
 * a block list with sfu/candidate-filter.ts), so that a bad value fails at startup, with every
 * other problem, instead of when first used.
 *
 * May import: the auth/ policies and the services' own parsers (below config in the layers).
 */
import { z } from 'zod';
import { createClientIpResolver } from '../auth/client-ip.ts';
import { createOriginPolicy } from '../auth/origin.ts';
import { isEs256PublicKey } from '../auth/public-key.ts';
import { blockList } from '../sfu/candidate-filter.ts';

export { isEs256PublicKey };

/** One configuration variable: its schema (with default), the `Config` key and its documentation. */
export interface VarSpec {
  /** The `Config` field this variable fills. */
  readonly key: string;
  readonly schema: z.ZodType;
  /** The default as shown in the README. */
  readonly shown: string;
  readonly doc: string;
  /** The value is a secret: a problem report names the variable but never echoes the value. */
  readonly secret?: true;
}

/** An integer in [min, max], coerced from the variable's text. */
export const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
/** A number in [min, max], coerced from the variable's text. */
export const num = (min: number, max: number) => z.coerce.number().min(min).max(max);

/** `a, b,,c` → `['a', 'b', 'c']`. */
export const splitList = (s: string): string[] =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x.length > 0);

/** A comma-separated list of STUN/TURN URLs. */
export const iceUrlList = () =>
  z
    .string()
    .transform(splitList)
    .pipe(
      z.array(
        z.string().regex(/^(stun|stuns|turn|turns):/, 'must start with stun:, stuns:, turn: or turns:'),
      ),
    );

/** Whether `build(value)` accepts the value (it throws on a bad one). */
function accepts<T>(build: (value: T) => unknown, value: T): boolean {
  try {
    build(value);
    return true;
  } catch {
    return false;
  }
}

/** Entries auth/origin.ts can build an origin policy from. */
export const isOriginList = (entries: readonly string[]): boolean => accepts(createOriginPolicy, entries);

/** Entries sfu/candidate-filter.ts can build a block list from. */
export const isBlockList = (entries: readonly string[]): boolean => accepts(blockList, entries);

/** A trusted-proxy setting auth/client-ip.ts understands (`loopback`, `private`, addresses, ranges). */
export const isTrustSetting = (value: string): boolean => accepts(createClientIpResolver, value);
