/** hooks: in the YAML: every mistake is a located error (file:line:column); clear text off-machine is a warning. */
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigFromString } from '../../src/config/load';

const errors = async (yaml: string, env: NodeJS.ProcessEnv = {}): Promise<string[]> => {
  const r = await loadConfigFromString(yaml, 'fsrecd.yml', env);
  return r.ok ? [] : r.errors.map(String);
};

t.test('a webhook and a command hook load with their defaults', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fsrecd-hooks-cfg-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'secret'), 'from-a-file-0123456789abcdef\n');
  const r = await loadConfigFromString(
    `
hooks:
  - name: crm
    url: https://crm.example.com/fsrecd
    secret_file: ${join(dir, 'secret')}
    tenants: [acme]
  - name: transcribe
    command: [${process.execPath}, --version]
    timeout_ms: 2000
    max_age_hours: 1
`,
    'fsrecd.yml',
    {},
  );
  t.ok(r.ok, r.ok ? 'valid' : r.errors.join('\n'));
  if (!r.ok) return;
  t.same(r.warnings, []);
  const [crm, cmd] = r.config.hooks ?? [];
  t.match(crm, { kind: 'url', name: 'crm', url: 'https://crm.example.com/fsrecd', events: ['stored'], tenants: ['acme'], timeoutMs: 10_000, concurrency: 4, maxAgeMs: 72 * 3_600_000 });
  t.equal(crm?.kind === 'url' ? crm.secret.reveal() : '', 'from-a-file-0123456789abcdef', 'the secret from secret_file');
  t.equal(JSON.stringify(crm).includes('from-a-file'), false, 'the secret never prints');
  t.match(cmd, { kind: 'command', argv: [process.execPath, '--version'], timeoutMs: 2000, maxAgeMs: 3_600_000 });
});

t.test('mistakes are located errors', async (t) => {
  const yaml = `
hooks:
  - name: bad-url
    url: "crm.example.com/fsrecd"
    secret: 0123456789abcdef0123
  - name: ftp
    url: ftp://files.example.com/x
    secret: 0123456789abcdef0123
  - name: typo
    url: https://crm.example.com/x
    secret: 0123456789abcdef0123
    timout_ms: 100
  - name: empty
    command: []
  - name: no-secret
    url: https://crm.example.com/x
  - name: both
    url: https://crm.example.com/x
    command: [/bin/true]
    secret: 0123456789abcdef0123
  - name: typo
    command: [/bin/true]
  - name: events
    command: [/bin/true]
    events: [deleted]
  - name: signed-command
    command: [/bin/true]
    secret: 0123456789abcdef0123
  - name: short
    url: https://crm.example.com/x
    secret_env: HOOK_SECRET
`;
  const got = await errors(yaml, { HOOK_SECRET: 'short' });
  const expect = [
    /^fsrecd\.yml:4:10: hooks\.0\.url: not a URL: "crm\.example\.com\/fsrecd"/,
    /^fsrecd\.yml:7:10: hooks\.1\.url: a webhook URL is http:\/\/ or https:\/\/, got ftp:/,
    /^fsrecd\.yml:12:5: hooks\.2\.timout_ms: unknown key \(did you mean "timeout_ms"\?\)/,
    /^fsrecd\.yml:14:14: hooks\.3\.command: an empty command/,
    /^fsrecd\.yml:15:5: hooks\.4: a webhook needs secret_file, secret_env or secret/,
    /^fsrecd\.yml:17:5: hooks\.5: give url or command, not both/,
    /^fsrecd\.yml:21:11: hooks\.6\.name: hook name "typo" is also used by hooks\.2/,
    /^fsrecd\.yml:25:14: hooks\.7\.events\.0: unknown event "deleted"/,
    /^fsrecd\.yml:28:5: hooks\.8\.secret: a command hook is not signed/,
    /^fsrecd\.yml:29:5: hooks\.9\.secret: a webhook secret is at least 16 characters/,
  ];
  t.equal(got.length, expect.length, got.join('\n'));
  for (const re of expect) t.ok(got.some((e) => re.test(e)), String(re));
});

t.test('hooks must be a list; an unreachable URL is no config error; clear text off this machine is a warning', async (t) => {
  t.match(await errors('hooks: {name: x}\n'), [/^fsrecd\.yml:1:8: hooks: expected a list of hooks/]);
  const r = await loadConfigFromString(
    `
hooks:
  - {name: lan, url: "http://10.1.2.3:8080/hook", secret: 0123456789abcdef0123}
  - {name: local, url: "http://127.0.0.1:1/nobody-listens", secret: 0123456789abcdef0123}
  - {name: gone, command: [/nonexistent/transcribe]}
`,
    'fsrecd.yml',
    {},
  );
  t.ok(r.ok, 'valid: reaching the URL or the program is a delivery matter');
  if (!r.ok) return;
  t.equal(r.warnings.length, 2, r.warnings.join('\n'));
  t.match(r.warnings[0], /hooks\.0\.url: http:\/\/ to 10\.1\.2\.3 sends .* in clear text: use https:\/\//);
  t.match(r.warnings[1], /hooks\.2\.command\.0: \/nonexistent\/transcribe is not an executable file \(ENOENT\)/);
});
