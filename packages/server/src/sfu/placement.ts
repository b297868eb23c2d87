/**
 * Which Janus instance takes a new SFU room (or one whose instance went away): the least loaded
 * of those this node can reach, where an instance's load is the number of members of the Parley
 * rooms placed on it, counted cluster-wide from the directory's placements.
 *
 * Why members and not Janus's own figures: Janus's VideoRoom `list` (with the admin key, which
 * private rooms need) reports `num_participants` per room, but that counts handles joined as
 * publishers (checked on Janus 1.1.2: three joined, none sending, count 3; subscriber handles are
 * not counted). Parley joins a member as a publisher only when it publishes, so receive-only
 * members (who cost Janus a forwarded copy of every stream) would count for nothing, nor would
 * the members of a room that has just moved and not re-published yet. It would also cost a round
 * trip to every instance per decision. The directory already holds every room's members and placement, the
 * same for every node, and the placement is recorded in it at once, so two rooms placed one after
 * the other see each other's load.
 */
import { randomUUID } from 'node:crypto';
import type { SfuRoomEntry } from '../directory/directory.ts';

/** Members per Janus URL, over the given SFU rooms (rooms marked down count for nobody). */
export function loadsOf(entries: readonly SfuRoomEntry[]): Map<string, number> {
  const loads = new Map<string, number>();
  for (const e of entries) {
    if (e.placement.down) continue;
    loads.set(e.placement.janus, (loads.get(e.placement.janus) ?? 0) + e.members);
  }
  return loads;
}

/**
 * The least loaded of `candidates` (URLs of instances that are up, in configuration order); ties
 * go to the earlier one. Undefined when there is no candidate.
 */
export function leastLoaded(
  candidates: readonly string[],
  loads: ReadonlyMap<string, number>,
): string | undefined {
  let best: string | undefined;
  let bestLoad = Number.POSITIVE_INFINITY;
  for (const url of candidates) {
    const load = loads.get(url) ?? 0;
    if (load < bestLoad) {
      best = url;
      bestLoad = load;
    }
  }
  return best;
}

/** A fresh placement epoch (`SfuPlacement.epoch`): a new one for every placement made or changed. */
export function newEpoch(): string {
  return randomUUID().slice(0, 13);
}
