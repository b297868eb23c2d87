/**
 * A random secret kept in a file (mode 0600) so the local services' settings you exported stay
 * valid across restarts: read when the file holds one, else made and written.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

export function keptSecret(path: string, bytes: number): string {
  if (existsSync(path)) {
    const kept = readFileSync(path, 'utf8').trim();
    if (kept) return kept;
  }
  const made = randomBytes(bytes).toString('base64url');
  writeFileSync(path, `${made}\n`, { mode: 0o600 });
  return made;
}
