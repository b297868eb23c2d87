/**
 * The README's configuration table, generated from the variable list; test/unit/server/config.test.ts
 * checks the README between its `config-table` markers equals it.
 *
 * May import: this folder.
 */
import type { VarSpec } from './parsers.ts';
import { CONFIG_VARS, type ConfigVar } from './variables.ts';

/** The README configuration table, generated from `CONFIG_VARS`. */
export function configTableMarkdown(): string {
  const rows = (Object.entries(CONFIG_VARS) as [ConfigVar, VarSpec][]).map(
    ([name, spec]) => `| \`${name}\` | ${spec.shown} | ${spec.doc} |`,
  );
  return ['| Variable | Default | Meaning |', '| --- | --- | --- |', ...rows].join('\n');
}
