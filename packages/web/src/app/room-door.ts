/**
 * The room's door as the app words it (docs/WEB.md, "Hosts and moderation"): waiting in a
 * lobby until a host lets us in or not, and why we are out of a room a host closed to us.
 * DOM-free: the room session and the controller use it; unit-testable with a fake room.
 *
 * Imports the SDK's types only.
 */
import type { Room } from '@parley/client';

/** Words for being out of a room on a host's word (`removed`, `refused`, `ended`), or null. */
export function describeHostExit(reason: string | undefined, room: string, by?: string): string | null {
  const who = by ? by : 'A host';
  switch (reason) {
    case 'removed':
      return `${who} removed you from “${room}”.`;
    case 'refused':
      return `${who} did not let you into “${room}”.`;
    case 'ended':
      return `${who} ended “${room}” for everyone.`;
    default:
      return null;
  }
}

/**
 * After a join that knocked (the room has a lobby): resolves `in` once a host let us in and we
 * joined, or the words for why not (refused, or the room went away). Resolves at once with `in`
 * when we did not knock.
 */
export function waitAtDoor(room: Room): Promise<'in' | { refused: string }> {
  if (!room.moderation.knocking && room.state !== 'joining') return Promise.resolve('in');
  if (room.state === 'joined') return Promise.resolve('in');
  return new Promise((resolve) => {
    let by: string | undefined;
    const offs = [
      room.moderation.on('refused', (name) => {
        by = name;
      }),
      room.on('state', (state, reason) => {
        if (state === 'joined') done('in');
        else if (state === 'left')
          done({
            refused: describeHostExit(reason, room.name, by) ?? `Could not join “${room.name}”.`,
          });
      }),
    ];
    function done(v: 'in' | { refused: string }) {
      for (const off of offs) off();
      resolve(v);
    }
  });
}
