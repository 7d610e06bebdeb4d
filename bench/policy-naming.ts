/** Policy + naming cost per call with 10 and with 10,000 users and devices: it must not grow. */
import { defaultConfig, emptyAccount } from '../src/config/defaults';
import type { Call, Leg } from '../src/calls/types';
import { recordingNamer } from '../src/naming/name-recording';
import { decideRecording } from '../src/policy/decide';

function config(users: number): ReturnType<typeof defaultConfig> {
  const cfg = defaultConfig();
  const a = emptyAccount('bench.example');
  for (let i = 0; i < users; i++) {
    const id = String(100000 + i);
    a.users.set(`u${id}`, { id: `u${id}`, record: { inbound: {}, outbound: { internal: i % 2 ? 'on' : undefined } }, options: {} });
    a.devices.set(id, { id, user: `u${id}`, record: { inbound: {}, outbound: {} }, options: {} });
  }
  cfg.accounts.set('bench.example', a);
  return cfg;
}

function leg(uuid: string, device: string, dir: 'inbound' | 'outbound'): Leg {
  return { uuid, callUuid: 'c', direction: dir, callerNumber: device, callerName: '', destinationNumber: '2000', context: 'default', entryContext: 'default', domain: 'bench.example', device, channelName: '', node: 'n', answered: true, bridged: true, createdAt: 0 };
}

export function measurePolicyNaming(sizes = [10, 10_000], calls = 50_000): Array<{ users: number; microsPerCall: number }> {
  return sizes.map((users) => {
    const cfg = config(users);
    const name = recordingNamer(cfg);
    const now = new Date();
    const runOnce = (): number => {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < calls; i++) {
        const dev = String(100000 + (i % users));
        const a = leg(`a${i}`, dev, 'inbound');
        const b = leg(`b${i}`, String(100000 + ((i + 1) % users)), 'outbound');
        a.otherLegUuid = b.uuid;
        const call: Call = { uuid: a.uuid, legs: new Map([[a.uuid, a], [b.uuid, b]]), createdAt: 0 };
        const d = decideRecording(cfg, call, () => undefined);
        name({ call, leg: a, kind: 'call', decision: d, plan: d.plans[0], extension: 'wav', now });
      }
      return Number(process.hrtime.bigint() - t0) / 1000 / calls;
    };
    runOnce();
    const runs = [runOnce(), runOnce(), runOnce()].sort((x, y) => x - y);
    return { users, microsPerCall: Math.round((runs[1] as number) * 100) / 100 };
  });
}
