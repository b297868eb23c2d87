/**
 * The part of the server's configuration the SFU reads. Each SFU module takes only the fields it
 * uses (`Pick<SfuConfig, ...>`), so its unit tests build small objects. Imports nothing.
 */

/** The part of the configuration the SFU reads. */
export interface SfuConfig {
  readonly janusUrls: readonly string[];
  readonly janusApiSecret: string | undefined;
  readonly janusAdminKey: string | undefined;
  readonly sfuThreshold: number;
  /** How long a grown room must stay below the threshold before it goes back to mesh (0: never). */
  readonly sfuShrinkDelayS: number;
  readonly maxPeersPerRoom: number;
  /**
   * Whether clients' private, loopback, link-local and CGNAT candidates (and mDNS names) reach
   * Janus: `auto` only from clients connected from such an address (see candidate-filter.ts).
   */
  readonly sfuPrivateCandidates: 'auto' | 'drop' | 'allow';
  /** Further addresses (CIDR) whose candidates never reach Janus. */
  readonly sfuBlockedCandidates: readonly string[];
  /** SFU rooms at once in the directory (every node sharing it); past it rooms stay mesh. */
  readonly sfuMaxRooms: number;
  /** SFU rooms one session may have created with `mode: 'sfu'` and still open. */
  readonly sfuRoomsPerSession: number;
  /** The same, for all sessions from one address (IPv6: one /64). */
  readonly sfuRoomsPerIp: number;
}
