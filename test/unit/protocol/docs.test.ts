import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  CLIENT_MESSAGE_TYPES,
  closeCodeFor,
  ERROR_CODES,
  ERROR_REASONS,
  ERRORS,
  SERVER_MESSAGE_TYPES,
} from '@parley/protocol';

const doc = readFileSync(new URL('../../../docs/PROTOCOL.md', import.meta.url), 'utf8');

/** The rows of the markdown table whose header row starts with `| <first> |`. */
function tableRows(first: string): string[][] {
  const lines = doc.split('\n');
  const start = lines.findIndex((l) => new RegExp(`^\\|\\s*${first}\\s*\\|`).test(l));
  assert.ok(start >= 0, `table starting with "${first}" not found`);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim()),
    );
  }
  return rows;
}

describe('docs/PROTOCOL.md', () => {
  it('documents every client message type', () => {
    const documented = tableRows('type').map((r) => r[0]!.replaceAll('`', ''));
    for (const type of CLIENT_MESSAGE_TYPES)
      assert.ok(documented.includes(type), `client type ${type} missing`);
  });

  it('documents every server message type', () => {
    const lines = doc.split('\n');
    const start = lines.findIndex((l) => l.startsWith('### Server → client'));
    const cells = new Set(
      lines
        .slice(start)
        .filter((l) => l.startsWith('|'))
        .map((l) => l.split('|')[1]!.trim()),
    );
    for (const type of SERVER_MESSAGE_TYPES)
      assert.ok(cells.has(`\`${type}\``), `server type ${type} missing`);
  });

  it('documents every error code with whether the connection stays open and its close code', () => {
    const rows = tableRows('code');
    const byCode = new Map(rows.map((r) => [r[0]!.replaceAll('`', ''), r]));
    for (const code of ERROR_CODES) {
      const row = byCode.get(code);
      assert.ok(row, `error code ${code} missing`);
      const fatal: boolean = ERRORS[code].fatal;
      assert.equal(row[1]!.includes('closed'), fatal, `${code}: connection column`);
      if (fatal) assert.equal(row[2], String(closeCodeFor(code)), `${code}: close code`);
    }
    for (const code of byCode.keys())
      assert.ok((ERROR_CODES as string[]).includes(code), `${code} is not a code`);
  });

  it('documents every error reason with its code', () => {
    const rows = tableRows('reason');
    const byReason = new Map(rows.map((r) => [r[0]!.replaceAll('`', ''), r]));
    for (const [reason, spec] of Object.entries(ERROR_REASONS)) {
      const row = byReason.get(reason);
      assert.ok(row, `error reason ${reason} missing`);
      assert.equal(row[1]!.replaceAll('`', ''), spec.code, `${reason}: code column`);
    }
    for (const reason of byReason.keys())
      assert.ok(Object.hasOwn(ERROR_REASONS, reason), `${reason} is not a reason`);
  });
});
