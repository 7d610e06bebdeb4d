/**
 * The Actor the lifecycle service is handed for a request: who the credential is, its tenant and role,
 * and the client address the request came from (for the audit trail).
 */
import type { IncomingMessage } from 'node:http';
import type { Principal } from '../config/credentials-file';
import type { Actor } from '../lifecycle/types';
import { clientAddress } from './client-address';

export function actorOf(who: Principal, req: IncomingMessage): Actor {
  const actor: Actor = { name: who.name, role: who.role, from: clientAddress(req.socket.remoteAddress) };
  if (who.tenant !== undefined) actor.tenant = who.tenant;
  return actor;
}
