/** Adapts the naming layer to the recorder: a NameRequest (call, leg, decision) in, a confined path out. */
import { aLegOf } from '../calls/a-leg';
import type { FsrecdConfig } from '../config/types';
import { tenantOf } from '../policy/tenant';
import type { NamedPath, NameRequest } from './naming-port';
import { RecordingNamer } from './namer';
import { buildNamingVars } from './variables';

export function recordingNamer(cfg: FsrecdConfig): (req: NameRequest) => NamedPath {
  const namer = new RecordingNamer(cfg.naming, cfg.spoolDir, cfg.allowedDirs);
  return (req) => {
    const { call, leg, decision, plan } = req;
    const aLeg = aLegOf(call) ?? leg;
    const vars = buildNamingVars(
      {
        srcnum: aLeg.callerNumber,
        dstnum: aLeg.destinationNumber,
        baseContext: aLeg.entryContext,
        tenantUuid: tenantOf(cfg, decision, aLeg),
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
