/** The storage keys that go with a recording's object key. */

/** The metadata object fsrecd writes beside every recording (reindex reads it). */
export function metadataKey(key: string): string {
  return `${key}.json`;
}

/**
 * The legal hold marker: a small JSON object beside a held recording, so the retention enforcer of another
 * node sharing the bucket (its own index knows nothing of this node's holds) and a reindex see the hold.
 * It ends in .json, so reindex (and an older fsrecd's) never takes it for a recording.
 */
export function holdMarkerKey(key: string): string {
  return `${key}.hold.json`;
}

export function isHoldMarker(key: string): boolean {
  return key.endsWith('.hold.json');
}

/** The key a hold marker stands beside. */
export function keyOfHoldMarker(marker: string): string {
  return marker.slice(0, -'.hold.json'.length);
}
