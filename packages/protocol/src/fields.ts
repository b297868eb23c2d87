/**
 * The field schemas every message module shares: bounded strings and integers, peer and room
 * names, request ids. Kept apart from messages.ts so that topic modules (moderation.ts) can use
 * them without an import cycle. Imports only the schema library and the limits.
 */
import * as z from 'zod/mini';
import { LIMITS, NAME_PATTERN } from './limits.ts';

/** A string of `min` to `max` characters (zod/mini spells `.min().max()` as checks). */
export const boundedString = (min: number, max: number) =>
  z.string().check(z.minLength(min), z.maxLength(max));
/** An integer from `min` to `max`, checked like zod classic's `z.number().int().min().max()`. */
export const boundedInt = (min: number, max: number) =>
  z.number().check(z.int(), z.minimum(min), z.maximum(max));

export const PeerName = z
  .string()
  .check(
    z.minLength(1),
    z.maxLength(LIMITS.nameMaxChars),
    z.regex(NAME_PATTERN, 'letters, digits, "_", "." and "-" only'),
  );
export const RoomName = z
  .string()
  .check(
    z.minLength(1),
    z.maxLength(LIMITS.roomMaxChars),
    z.regex(NAME_PATTERN, 'letters, digits, "_", "." and "-" only'),
  );
export const ReqId = z.union([boundedString(1, LIMITS.idMaxChars), boundedInt(0, Number.MAX_SAFE_INTEGER)]);
