/**
 * Every variable the server reads, in README order, and the `Config` type inferred from their
 * schemas: a field's type is what its schema outputs, so the table and the type cannot drift.
 * The README table between the `config-table` markers is generated from this list
 * (readme-table.ts), and a unit test checks they agree.
 *
 * May import: the variable tables of this folder.
 */
import type { z } from 'zod';
import { ACCESS_VARS } from './access-vars.ts';
import { MEDIA_VARS } from './media-vars.ts';
import { RECORDING_VARS } from './recording-vars.ts';
import { SERVER_VARS } from './server-vars.ts';

/** Every configuration variable (see the tables' files for what each group holds). */
export const CONFIG_VARS = { ...SERVER_VARS, ...MEDIA_VARS, ...ACCESS_VARS, ...RECORDING_VARS };

export type ConfigVar = keyof typeof CONFIG_VARS;

/** Lists are frozen by `loadConfig`, so they are typed read-only. */
type Frozen<T> = T extends readonly (infer U)[] ? readonly U[] : T;

/** The validated server configuration (from `loadConfig`). Units are in the names. */
export type Config = {
  [V in ConfigVar as (typeof CONFIG_VARS)[V]['key']]: Frozen<z.output<(typeof CONFIG_VARS)[V]['schema']>>;
};
