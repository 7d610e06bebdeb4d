/**
 * The calls `fsrecd demo` places through the simulator, and what it expects fsrecd to do with each.
 * The demo checks the expectations, so it doubles as a smoke test of the whole daemon.
 */
import type { CallSpec, FreeswitchSimulator, SimCall } from '../sim/simulator';

export interface DemoStep {
  title: string;
  spec: CallSpec;
  /** Recordings this call should leave in storage. */
  expectRecordings: number;
  /** What happens between answer and hangup. */
  during?: (call: SimCall, sim: FreeswitchSimulator) => Promise<void>;
  /** Not answered by a human: *26 is answered and hung up by the dialplan and fsrecd. */
  featureCall?: boolean;
}

const phone = (n: string): { number: string; device: string; domain: string; name: string } => ({ number: n, device: n, domain: 'pbx.demo', name: `Ext ${n}` });

export const DEMO_STEPS: DemoStep[] = [
  { title: 'alice (1000) calls bob (1001): recorded, alice records her outbound calls', spec: { from: phone('1000'), to: '1001', bridgeTo: phone('1001') }, expectRecordings: 1 },
  { title: 'bob (1001) calls alice (1000): not recorded, no rule says so', spec: { from: phone('1001'), to: '1000', bridgeTo: phone('1000') }, expectRecordings: 0 },
  {
    title: 'a carrier call from caller ID "../../etc/passwd" to bob: recorded (account rule), safely named',
    spec: { from: { number: '../../etc/passwd', context: 'public' }, to: '1001', transferContext: 'default', bridgeTo: phone('1001') },
    expectRecordings: 1,
  },
  { title: "carol (1002) calls bob: not recorded, her device is off even though she is on", spec: { from: phone('1002'), to: '1001', bridgeTo: phone('1001') }, expectRecordings: 0 },
  { title: 'bob dials *26: his recording is toggled on', spec: { from: phone('1001'), to: '*26', park: true }, expectRecordings: 0, featureCall: true },
  { title: 'bob (1001) calls alice again: now recorded, by his *26 toggle', spec: { from: phone('1001'), to: '1000', bridgeTo: phone('1000') }, expectRecordings: 1 },
  {
    title: 'carol calls alice and presses *3, *3, *3: two on-demand files (start, stop, start again)',
    spec: { from: phone('1002'), to: '1000', bridgeTo: phone('1000') },
    expectRecordings: 2,
    during: async (call) => {
      await call.dtmf('a', '*3');
      await call.dtmf('a', '*3');
      await call.dtmf('a', '*3');
    },
  },
];
