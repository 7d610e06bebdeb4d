/** Adapts the naming layer to the recorder: a NameRequest (call, leg, decision) in, a confined path out. */
import type { FsrecdConfig } from '../config/types';
import type { NamedPath, NameRequest } from './naming-port';
import { RecordingNamer } from './namer';
import { buildNamingVars } from './variables';

export function recordingNamer(cfg: FsrecdConfig): (req: NameRequest) => NamedPath {
  const namer = new RecordingNamer(cfg.naming, cfg.spoolDir, cfg.allowedDirs);
  return (req) => {
    const { call, leg, decision, plan } = req;
    const aLeg = call.legs.get(call.uuid) ?? leg;
    const account = cfg.accounts.get(aLeg.domain);
    const vars = buildNamingVars(
      {
        srcnum: aLeg.callerNumber,
        dstnum: aLeg.destinationNumber,
        baseContext: aLeg.entryContext,
        tenantUuid: decision?.tenantUuid ?? account?.tenantUuid ?? (aLeg.domain || cfg.defaultAccount.tenantUuid),
        uuid: call.uuid,
        callId: aLeg.sipCallId,
        direction: decision?.direction ?? 'inbound',
        network: decision?.network ?? 'internal',
        user: plan?.user,
        device: plan?.device ?? leg.device,
        node: leg.node,
        name: req.name,
        seq: req.seq,
      },
      req.now,
    );
    return namer.render(vars, req.kind, req.extension);
  };
}
