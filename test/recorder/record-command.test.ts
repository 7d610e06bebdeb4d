import t from 'tap';
import type { RecordingOptions } from '../../src/config/types';
import { recordStartCommand, recordStopCommand, UnsafeRecordPathError } from '../../src/recorder/record-command';

const options: RecordingOptions = {
  format: 'wav',
  minSeconds: 3,
  maxSeconds: 3600,
  stereo: true,
  sampleRate: 16000,
  startOn: 'answer',
  followTransfer: true,
  perEndpointFiles: false,
};

t.test('start command carries limit and per-recording variables', async (t) => {
  t.equal(
    recordStartCommand('ea69231c-2b51-4e64-9cb8-0fa6c9963645', '/var/spool/fsrecd/t/a.wav', options),
    'uuid_record ea69231c-2b51-4e64-9cb8-0fa6c9963645 start /var/spool/fsrecd/t/a.wav 3600 {RECORD_STEREO=true,RECORD_MIN_SEC=3,record_sample_rate=16000}',
  );
  t.equal(
    recordStartCommand('u1', '/s/a.wav', { ...options, maxSeconds: 0, minSeconds: 0, sampleRate: undefined, stereo: false, startOn: 'bridge' }),
    'uuid_record u1 start /s/a.wav 0 {RECORD_STEREO=false,RECORD_BRIDGE_REQ=true}',
  );
  t.equal(recordStopCommand('u1', '/s/a.wav'), 'uuid_record u1 stop /s/a.wav');
});

t.test('paths that FreeSWITCH would split or that would end the ESL command are refused', async (t) => {
  for (const bad of ['/s/a b.wav', '/s/a\nb.wav', "/s/a'b.wav", '/s/a\rapi x.wav', '/s/{a}.wav', '/s/a\tb', '', '/s/a\u0000b']) {
    t.throws(() => recordStartCommand('u1', bad, options), UnsafeRecordPathError, JSON.stringify(bad));
  }
  t.throws(() => recordStopCommand('u1 x', '/s/a.wav'), UnsafeRecordPathError, 'uuid with a blank');
});
