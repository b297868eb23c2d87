/** Protocol versions this build speaks, most preferred first. */
export const PROTOCOL_VERSIONS = ['1'] as const;
export type ProtocolVersion = (typeof PROTOCOL_VERSIONS)[number];

/**
 * Picks the version both ends speak, preferring the server's order.
 * Returns null when there is none (the server then answers UNSUPPORTED_VERSION).
 */
export function chooseVersion(offered: readonly string[]): ProtocolVersion | null {
  for (const v of PROTOCOL_VERSIONS) if (offered.includes(v)) return v;
  return null;
}
