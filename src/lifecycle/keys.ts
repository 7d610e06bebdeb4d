/** The storage keys that go with a recording's object key. */
export { holdMarkerKey } from '../recordings/hold-marker';

/** The metadata object fsrecd writes beside every recording (reindex reads it). */
export function metadataKey(key: string): string {
  return `${key}.json`;
}
