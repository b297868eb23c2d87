/** The SFU's metrics: per-instance counts and the counters' face, read from a real registry. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import type { SfuRoomEntry } from '../../../../packages/server/src/directory/directory.ts';
import type { JanusLink } from '../../../../packages/server/src/sfu/janus-link.ts';
import { countPerInstance, exportSfuMetrics } from '../../../../packages/server/src/sfu/sfu-metrics.ts';

const entry = (room: string, janus: string, members: number, down = false): SfuRoomEntry => ({
  room,
  members,
  placement: { janus, fromStart: false, epoch: room, down },
});
const ENTRIES = [entry('a', 'j1', 6), entry('b', 'j1', 2), entry('c', 'j9', 3), entry('d', 'j1', 4, true)];

describe('SFU metrics', () => {
  it('countPerInstance › rooms or members per configured instance (0 when idle), others by URL, "down" apart', () => {
    assert.deepEqual(
      [...countPerInstance(ENTRIES, ['j1', 'j2'], 'rooms')],
      [
        ['j1', 2],
        ['j2', 0],
        ['j9', 1],
        ['down', 1],
      ],
    );
    assert.deepEqual(
      [...countPerInstance(ENTRIES, ['j1', 'j2'], 'members')],
      [
        ['j1', 8],
        ['j2', 0],
        ['j9', 3],
        ['down', 4],
      ],
    );
  });

  it('exportSfuMetrics › gauges read at scrape time and the counters the modules bump', async () => {
    const registry = new Registry();
    const links = [
      { url: 'j1', up: true },
      { url: 'j2', up: false },
    ] as unknown as JanusLink[];
    const metrics = exportSfuMetrics(registry, links, { sfuRooms: async () => ENTRIES });
    metrics.candidatesDropped('private');
    metrics.candidatesDropped('in_description', 3);
    metrics.roomRefused('address');
    const text = await registry.metrics();
    for (const line of [
      'parley_sfu_instance_up{janus="j1"} 1',
      'parley_sfu_instance_up{janus="j2"} 0',
      'parley_sfu_rooms{janus="j1"} 2',
      'parley_sfu_rooms{janus="down"} 1',
      'parley_sfu_members{janus="j1"} 8',
      'parley_sfu_candidates_dropped_total{reason="private"} 1',
      'parley_sfu_candidates_dropped_total{reason="in_description"} 3',
      'parley_sfu_rooms_refused_total{reason="address"} 1',
    ]) {
      assert.ok(text.includes(line), line);
    }
  });

  it('exportSfuMetrics › the room gauges are empty when the directory cannot answer', async () => {
    const registry = new Registry();
    exportSfuMetrics(registry, [], { sfuRooms: () => Promise.reject(new Error('down')) });
    assert.doesNotMatch(await registry.metrics(), /parley_sfu_rooms\{/);
  });
});
