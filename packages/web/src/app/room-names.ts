/** Names for new rooms: readable, and hard enough to guess that a room link is a fair secret. */

const ADJECTIVES = ['calm', 'bright', 'quiet', 'brave', 'swift', 'clear', 'warm', 'bold', 'kind', 'keen'];
const NOUNS = [
  'river',
  'harbor',
  'meadow',
  'summit',
  'forest',
  'lagoon',
  'canyon',
  'orchard',
  'island',
  'valley',
];

/** A readable, hard-to-guess room name such as `calm-river-4821`. */
export function randomRoomName(): string {
  const pick = (list: string[]) => list[crypto.getRandomValues(new Uint32Array(1))[0]! % list.length]!;
  const digits = String(crypto.getRandomValues(new Uint32Array(1))[0]! % 10000).padStart(4, '0');
  return `${pick(ADJECTIVES)}-${pick(NOUNS)}-${digits}`;
}
