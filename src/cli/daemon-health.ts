/** What the running daemon says on its health endpoint (status reads the journal itself). */
export async function daemonHealth(listen: string | undefined): Promise<string> {
  if (!listen) return 'unknown (http.listen is off, so the running daemon cannot be asked)';
  try {
    const res = await fetch(`http://${listen}/healthz`, { signal: AbortSignal.timeout(2000) });
    const h = (await res.json()) as { eslConnected?: boolean; reasons?: string[] };
    return `${h.eslConnected ? 'connected' : 'NOT connected'}${h.reasons?.length ? ` (${h.reasons.join('; ')})` : ''}`;
  } catch {
    return `unknown (no daemon answering on ${listen})`;
  }
}
