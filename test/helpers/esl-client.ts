import { createEslClient } from '../../src/esl/client';
import type { EslClient, EslClientOptions } from '../../src/esl/types';
import { silentLogger } from '../../src/log';

export function testClient(port: number, overrides: Partial<EslClientOptions> = {}): EslClient {
  return createEslClient(
    {
      host: '127.0.0.1',
      port,
      password: 'ClueCon',
      events: ['CHANNEL_CREATE', 'CHANNEL_ANSWER', 'CHANNEL_BRIDGE', 'CHANNEL_HANGUP_COMPLETE', 'DTMF', 'RECORD_START', 'RECORD_STOP', 'CHANNEL_PARK'],
      connectTimeoutMs: 2000,
      apiTimeoutMs: 2000,
      reconnectMinMs: 20,
      reconnectMaxMs: 200,
      ...overrides,
    },
    silentLogger(),
  );
}
