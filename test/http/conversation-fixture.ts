/**
 * Conversations of several segments in a running stack, written the way the recorder hands them over (a
 * RecordingMeta with its conversation fields, journaled and stored), without depending on the recorder
 * following transfers: each segment's audio in the storage directory, its journal entry in the index.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Party, RecordingMeta, SegmentStart, TransferKind } from '../../src/model/recording';
import { entryFromJournal } from '../../src/recordings/entry-from';
import { toneSamples, wavHeader } from '../../src/sim/wav';
import type { Stack } from '../helpers/stack';

export interface SegmentSpec {
  id: string;
  domain: string;
  caller: Party;
  callee: Party;
  startedBy: SegmentStart;
  transfer?: TransferKind;
  seconds: number;
  queue?: string;
  agent?: string;
}

const RATE = 8000;

/** The segments of one conversation, 1…n in order, each transferFrom the one before; returns their keys. */
export function addConversation(s: Stack, conversationId: string, segments: SegmentSpec[], startMs: number): string[] {
  let at = startMs;
  return segments.map((spec, i) => {
    const relativePath = `${spec.domain}/${conversationId}/${i + 1}-${spec.callee.number}.wav`;
    const samples = Math.round(spec.seconds * RATE);
    const pcm = toneSamples({ sampleRate: RATE, channels: 1 }, samples, 0, false);
    const file = join(s.dir, 'stored', relativePath);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, Buffer.concat([wavHeader({ sampleRate: RATE, channels: 1 }, pcm.length), pcm]));
    const prev = segments[i - 1];
    const meta: RecordingMeta = {
      id: spec.id,
      callUuid: spec.id.replace(/-1$/, ''),
      legUuid: spec.callee.legUuid ?? spec.id,
      path: join(s.dir, 'spool', relativePath),
      relativePath,
      format: 'wav',
      srcnum: spec.caller.number,
      dstnum: spec.callee.number,
      callerName: spec.caller.name ?? '',
      direction: 'inbound',
      network: 'external',
      user: spec.callee.user,
      device: spec.callee.device,
      domain: spec.domain,
      tenantUuid: spec.domain,
      node: 'pbx',
      reasons: [`account ${spec.domain} inbound×external on`],
      onDemand: false,
      startedAt: new Date(at).toISOString(),
      conversationId,
      segment: i + 1,
      startedBy: spec.startedBy,
      parties: [spec.caller, spec.callee],
      ...(prev && spec.transfer ? { transferFrom: { recordingId: prev.id, kind: spec.transfer } } : {}),
      ...(spec.queue ? { queue: spec.queue } : {}),
      ...(spec.agent ? { agent: spec.agent } : {}),
    };
    const endedAt = new Date(at + spec.seconds * 1000).toISOString();
    // Followed as the daemon does (a later read of the index writes it first): this function stays synchronous.
    s.app.index.follow(meta.id, () =>
      entryFromJournal({ id: meta.id, state: 'stored', meta, result: { endedAt, durationMs: spec.seconds * 1000, completionCause: 'success' }, key: relativePath, attempts: 1, size: pcm.length + 44, updatedAt: endedAt }),
    );
    at += spec.seconds * 1000 + 2000;
    return relativePath;
  });
}

export const CUSTOMER: Party = { role: 'caller', number: '+15557770001', name: 'Customer Co' };

/** acme.example: the customer talks to alice, is transferred (attended) to bob, then (blind) to the support queue's carol. */
export function threeSegments(): SegmentSpec[] {
  return [
    { id: 'seg-a-1', domain: 'acme.example', caller: CUSTOMER, callee: { role: 'callee', number: '1001', name: 'Alice', user: 'alice', device: '1001' }, startedBy: 'answer', seconds: 0.6 },
    { id: 'seg-b-1', domain: 'acme.example', caller: CUSTOMER, callee: { role: 'callee', number: '1002', name: 'Bob', user: 'bob', device: '1002' }, startedBy: 'transfer', transfer: 'attended', seconds: 0.5 },
    { id: 'seg-c-1', domain: 'acme.example', caller: CUSTOMER, callee: { role: 'callee', number: '1003', name: 'Carol', user: 'carol', device: '1003' }, startedBy: 'transfer', transfer: 'blind', seconds: 0.4, queue: 'support@acme.example', agent: '1003@acme.example' },
  ];
}
