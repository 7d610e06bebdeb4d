/** The Content-Type of a recording, from its format or file name. */
const CONTENT_TYPES: Record<string, string> = { wav: 'audio/wav', mp3: 'audio/mpeg', ogg: 'audio/ogg', opus: 'audio/ogg', flac: 'audio/flac' };

export function audioContentType(formatOrKey: string): string {
  return CONTENT_TYPES[(formatOrKey.split('.').pop() ?? '').toLowerCase()] ?? 'application/octet-stream';
}
