/** http.listen: host:port, IPv6 in brackets (check-config checks it; the listener binds to it). */
export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(listen.trim());
  if (!m) throw new Error(`http.listen must be host:port, got ${JSON.stringify(listen)}`);
  return { host: m[1] ?? m[2] ?? '127.0.0.1', port: Number(m[3]) };
}
