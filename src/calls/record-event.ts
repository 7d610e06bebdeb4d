/** An EslEvent over a JSON record (a `uuid_dump … json` reply has the same headers as a channel event). */
import type { EslEvent } from '../esl/types';

export function recordEvent(json: string): EslEvent | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const fields = new Map<string, string>();
  for (const [k, v] of Object.entries(parsed)) if (typeof v === 'string') fields.set(k, v);
  return {
    name: fields.get('Event-Name') ?? 'CHANNEL_DATA',
    body: fields.get('_body') ?? '',
    get: (header: string) => fields.get(header),
    headerNames: () => [...fields.keys()],
  };
}
