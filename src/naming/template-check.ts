/**
 * What check-config does with a template: compile it (which refuses unsafe ones) and render it with sample
 * values, hostile ones included, so a template that compiles but cannot render is an error at load, not
 * a broken recording or a key that storage refuses forever. The configuration cannot import naming, so
 * whoever loads it hands these in (`namingRenderChecks`; src/config/template-checks.ts).
 */
import type { TemplateRenderChecks } from '../config/template-checks';
import type { RecordingMeta } from '../model/recording';
import { templateProblem, variablesRead } from '../templates/template-env';
import { RecordingNamer } from './namer';
import { objectKeyVars, renderObjectKey } from './object-key';
import { buildNamingVars, type NamingVars } from './variables';

/** nunjucks does not say which variable was undefined; this does. */
function unknownVariables(source: string, vars: NamingVars): string {
  const unknown = variablesRead(source).filter((name) => !Object.prototype.hasOwnProperty.call(vars, name));
  return unknown.length ? ` (unknown variable ${unknown.join(', ')}; the variables are ${Object.keys(vars).sort().join(', ')})` : '';
}

/** About 4 KB of what a carrier may put in a caller ID: traversal, CR/LF, template syntax, bidi, length. */
export const HOSTILE_CALLER_ID = `../../etc/passwd\r\napi uuid_kill {{ 7*7 }} \u202Eevil ${'9'.repeat(4000)}`;

const SAMPLE_TIME = new Date('2026-11-24T00:33:39Z');
const SAMPLE_UUID = 'ea69231c-2b51-4e64-9cb8-0fa6c9963645';

/** Why a file-name template is unusable, or undefined. `kind` picks which template of `naming` is tried. */
export function checkFilenameTemplate(source: string, kind: 'call' | 'on-demand', spoolDir: string, allowedDirs: readonly string[]): string | undefined {
  const unsafe = templateProblem(source);
  if (unsafe) return unsafe;
  const namer = new RecordingNamer({ filenameTemplate: source, onDemandFilenameTemplate: source, filenameExtension: 'wav' }, spoolDir, allowedDirs);
  const vars = buildNamingVars(
    {
      srcnum: HOSTILE_CALLER_ID,
      dstnum: '1001',
      baseContext: 'public',
      tenantUuid: 'tenant',
      uuid: SAMPLE_UUID,
      callId: HOSTILE_CALLER_ID,
      direction: 'inbound',
      network: 'external',
      user: 'alice',
      device: '1001',
      node: 'pbx1',
      name: kind === 'on-demand' ? HOSTILE_CALLER_ID : undefined,
      seq: 1,
    },
    SAMPLE_TIME,
  );
  const named = namer.render(vars, kind);
  return named.error === undefined ? undefined : `the template does not render with sample values (a recording would get the fallback name): ${named.error}${unknownVariables(source, vars)}`;
}

function sampleMeta(callUuid: string, seq: number): RecordingMeta {
  return {
    id: `${callUuid}-${seq}`,
    callUuid,
    legUuid: callUuid,
    path: `/var/spool/fsrecd/tenant/2026-11-24T00_33_39UTC-${callUuid}-${seq}.wav`,
    relativePath: `tenant/2026-11-24T00_33_39UTC-${callUuid}-${seq}.wav`,
    format: 'wav',
    srcnum: HOSTILE_CALLER_ID,
    dstnum: '1001',
    callerName: HOSTILE_CALLER_ID,
    direction: 'inbound',
    network: 'external',
    user: 'alice',
    device: '1001',
    domain: 'pbx.example.com',
    tenantUuid: 'tenant',
    node: 'pbx1',
    reasons: ['account inbound×external on'],
    onDemand: false,
    startedAt: SAMPLE_TIME.toISOString(),
  };
}

/**
 * Why an object-key template is unusable, or undefined: it must compile, render with hostile values
 * within the key limit, and give different recordings (another call; the same call's second file)
 * different keys — one key for two recordings would overwrite the first.
 */
export function checkObjectKeyTemplate(source: string): string | undefined {
  const unsafe = templateProblem(source);
  if (unsafe) return unsafe;
  const meta = sampleMeta(SAMPLE_UUID, 1);
  const first = renderObjectKey(source, meta);
  if (first.error) return `the key template does not render with sample values: ${first.error}${unknownVariables(source, objectKeyVars(meta))}`;
  const sameCall = renderObjectKey(source, sampleMeta(SAMPLE_UUID, 2)).key;
  const otherCall = renderObjectKey(source, sampleMeta('0b7e1f44-6f55-4d1e-a1f9-3a0c2d5e8b77', 1)).key;
  if (sameCall === first.key || otherCall === first.key) {
    return `the key template gives two recordings the same key ("${first.key}"), so one would overwrite the other: include {{ relative_path }}, or {{ uuid }} and {{ seq }}`;
  }
  return undefined;
}

/** The checks loadConfig and ConfigWatcher run on every template (the composition roots pass them). */
export const namingRenderChecks: TemplateRenderChecks = { filename: checkFilenameTemplate, objectKey: checkObjectKeyTemplate };
