/**
 * One command-hook attempt: the argv run without a shell, the body on its standard input, killed (its whole
 * process group) at timeout_ms. Exit 0 is delivered; anything else is retried (the command may depend on
 * something that comes back), with the end of its standard error as the reason.
 */
import { spawn } from 'node:child_process';
import type { CommandHookConfig } from '../config/hooks';
import type { AttemptResult } from './delivery';

const STDERR_TAIL = 500;

export function runCommandHook(hook: CommandHookConfig, body: string, deliveryId: string): Promise<AttemptResult> {
  return new Promise((resolve) => {
    const [program, ...args] = hook.argv as [string, ...string[]];
    let stderr = '';
    let timedOut = false;
    let settled = false;
    const done = (r: AttemptResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    // Its own process group, so a timeout ends what it started too (a shell script's children).
    const child = spawn(program, args, {
      shell: false,
      detached: true,
      stdio: ['pipe', 'ignore', 'pipe'],
      env: { ...process.env, FSRECD_HOOK: hook.name, FSRECD_DELIVERY_ID: deliveryId, FSRECD_EVENT: 'stored' },
    });
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, hook.timeoutMs);
    child.on('error', (err: NodeJS.ErrnoException) => done({ kind: 'retry', detail: `cannot run ${program}: ${err.code ?? err.message}` }));
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString('utf8')).slice(-STDERR_TAIL);
    });
    // A command that does not read its input closes the pipe: its exit status still decides.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(body);
    child.on('exit', (code, signal) => {
      const tail = stderr.replace(/\s+/g, ' ').trim();
      if (timedOut) return done({ kind: 'retry', detail: `killed after ${hook.timeoutMs} ms (timeout_ms)` });
      if (code === 0) return done({ kind: 'delivered', detail: 'exit 0' });
      done({ kind: 'retry', detail: `${signal ? `killed by ${signal}` : `exit ${code}`}${tail ? `: ${tail}` : ''}` });
    });
  });
}
