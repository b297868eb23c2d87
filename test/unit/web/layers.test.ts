/**
 * The web app's layers, enforced: DOM helpers → media → DOM-free app models (sessions, words,
 * routing) → self-test → components → screens → the controller that draws screens from the
 * models → the entry point. docs/ARCHITECTURE.md quotes this table.
 */
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { type LayerTable, layerViolations } from '../../helpers/import-layers.ts';

export const WEB_LAYERS: LayerTable = [
  { layer: 'ui', holds: ['ui/', 'zod-jitless.ts'] },
  { layer: 'media', holds: ['media/'] },
  // DOM-free: unit-tested in Node (test/unit/web).
  { layer: 'app', holds: ['app/'] },
  { layer: 'selftest', holds: ['selftest/'] },
  { layer: 'components', holds: ['components/'] },
  { layer: 'screens', holds: ['screens/'] },
  { layer: 'controller', holds: ['controller/'] },
  { layer: 'entry', holds: ['main.ts'] },
];

const ROOT = resolve(import.meta.dirname, '../../../packages/web/src');

describe('web layers', () => {
  const { unplaced, upward } = layerViolations(ROOT, WEB_LAYERS);
  it('every web app file has a layer', () => assert.deepEqual(unplaced, [], 'add it to WEB_LAYERS'));
  it('no import runs up a layer (models never reach for components or screens)', () =>
    assert.deepEqual(upward, []));
});
