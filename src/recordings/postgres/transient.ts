/**
 * Whether a PostgreSQL failure says "the database is not there right now" (try again later) rather than
 * "this write is wrong" (retrying changes nothing). Pure: from the error's code and message alone.
 */

/** SQLSTATE classes and codes of a server that is away, restarting, or out of connections. */
const TRANSIENT_STATES = new Set(['57P01', '57P02', '57P03', '53300', '40001', '40P01']);
const TRANSIENT_SOCKET = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

export function isTransientDatabaseError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    // Class 08: connection exception.
    if (code.startsWith('08') || TRANSIENT_STATES.has(code) || TRANSIENT_SOCKET.has(code)) return true;
  }
  // node-postgres says these in words, without a code.
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|the database system is (starting up|shutting down)/i.test(err.message);
}
