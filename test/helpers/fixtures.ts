/**
 * The real FreeSWITCH 1.10.9 captures, kept in the repository (test/fixtures/freeswitch-esl; its README
 * says what each one holds), so the suite needs nothing beside the checkout.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const FIXTURE_DIR = join(__dirname, '..', 'fixtures', 'freeswitch-esl');

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
