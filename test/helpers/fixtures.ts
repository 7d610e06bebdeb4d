/** The real FreeSWITCH 1.10.9 captures (shared/fixtures/freeswitch-esl, beside the repository). */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const FIXTURE_DIR = [join(__dirname, '../../../shared/fixtures/freeswitch-esl'), join(__dirname, '../../shared/fixtures/freeswitch-esl')].find(
  (d) => existsSync(d),
) ?? join(__dirname, '../../../shared/fixtures/freeswitch-esl');

export function fixture(name: string): Buffer {
  return readFileSync(join(FIXTURE_DIR, name));
}

export const RAW_FIXTURES = [
  '01-handshake-api.raw',
  '02-answered-call-record.raw',
  '06-bridged-call-dtmf-record.raw',
  '07-wrong-password.raw',
  '08-star26-json.raw',
  '09-carrier-hostile-callerid.raw',
];
