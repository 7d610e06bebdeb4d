/** One webhook attempt: a signed POST of the body; the answer classified (delivery.ts says what each means). */
import type { WebhookConfig } from '../config/hooks';
import { classifyStatus, type AttemptResult } from './delivery';
import { DELIVERY_HEADER, SIGNATURE_HEADER, signatureHeader } from './signature';

/** Enough of a refusal's body to say why in status and the log. */
const ERROR_BODY_BYTES = 300;

async function bodyStart(res: Response): Promise<string> {
  const reader = res.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let n = 0;
  try {
    while (n < ERROR_BODY_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      n += value.length;
    }
  } catch {
    // The body is only for the error text.
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).toString('utf8').slice(0, ERROR_BODY_BYTES).replace(/\s+/g, ' ').trim();
}

function networkError(err: unknown, timeoutMs: number): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return `no answer within ${timeoutMs} ms (timeout_ms)`;
  return e.cause?.code ? `${e.cause.code}: ${e.cause.message ?? e.message}` : e.message;
}

export async function postWebhook(hook: WebhookConfig, body: string, deliveryId: string, nowMs: number): Promise<AttemptResult> {
  let res: Response;
  try {
    res = await fetch(hook.url, {
      method: 'POST',
      redirect: 'manual',
      signal: AbortSignal.timeout(hook.timeoutMs),
      headers: {
        'Content-Type': 'application/json',
        'User-Agent': 'fsrecd-hooks/1',
        [SIGNATURE_HEADER]: signatureHeader(hook.secret.reveal(), body, nowMs / 1000),
        [DELIVERY_HEADER]: deliveryId,
        'X-Fsrecd-Event': 'stored',
        'X-Fsrecd-Hook': hook.name,
      },
      body,
    });
  } catch (err) {
    return { kind: 'retry', detail: networkError(err, hook.timeoutMs) };
  }
  const result = classifyStatus(res.status, res.headers.get('retry-after'));
  if (result.kind === 'delivered') {
    await res.body?.cancel().catch(() => undefined);
    return result;
  }
  const text = await bodyStart(res);
  return { ...result, detail: text ? `${result.detail}: ${text}` : result.detail };
}
