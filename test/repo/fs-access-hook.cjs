/**
 * Preloaded (`node --require`) into a child process by test/repo/standalone.test.ts: records every path the
 * process asks the file system about (opened, read, listed, stat'ed, written, resolved by require) — the
 * attempts, not only the successes, since a read beside the checkout that fails with ENOENT is exactly the bug —
 * and appends each new one, as it happens, to the file named by FSRECD_FS_LOG (so a process stopped early
 * has still told what it touched).
 * CommonJS and dependency-free, so it is in place before tsx or anything else loads.
 */
'use strict';
const fs = require('node:fs');
const { resolve } = require('node:path');
const Module = require('node:module');
const { Buffer } = require('node:buffer');
const { URL, fileURLToPath } = require('node:url');

const logFile = process.env.FSRECD_FS_LOG;
if (!logFile) throw new Error('fs-access-hook: FSRECD_FS_LOG is not set');
const appendFileSync = fs.appendFileSync;
const seen = new Set();

function note(path) {
  if (seen.has(path)) return;
  seen.add(path);
  appendFileSync(logFile, `${path}\n`);
}

/** Relative paths are resolved now, against the cwd they are relative to. */
function record(p) {
  if (typeof p === 'string') note(resolve(p));
  else if (Buffer.isBuffer(p)) note(resolve(p.toString()));
  else if (p instanceof URL && p.protocol === 'file:') note(fileURLToPath(p));
}

/** Functions whose first argument (and, for these, second) is a path. */
const TWO_PATHS = new Set(['rename', 'copyFile', 'link', 'symlink', 'cp']);
const PATH_FUNCTIONS = [
  'access', 'appendFile', 'chmod', 'chown', 'copyFile', 'cp', 'createReadStream', 'createWriteStream', 'exists',
  'lchown', 'link', 'lstat', 'lutimes', 'mkdir', 'mkdtemp', 'open', 'openAsBlob', 'opendir', 'readdir', 'readFile',
  'readlink', 'realpath', 'rename', 'rm', 'rmdir', 'stat', 'statfs', 'symlink', 'truncate', 'unlink', 'utimes',
  'watch', 'watchFile', 'writeFile',
];

function wrap(target, name) {
  const original = target[name];
  if (typeof original !== 'function') return;
  const wrapped = function (...args) {
    record(args[0]);
    if (TWO_PATHS.has(name.replace(/Sync$/, ''))) record(args[1]);
    return original.apply(this, args);
  };
  // Keep util.promisify.custom and friends (fs.exists, fs.realpath.native).
  Object.assign(wrapped, original);
  target[name] = wrapped;
}

for (const name of PATH_FUNCTIONS) {
  wrap(fs, name);
  wrap(fs, `${name}Sync`);
  wrap(fs.promises, name);
}

const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (...args) {
  const resolved = resolveFilename.apply(this, args);
  if (typeof resolved === 'string' && (resolved.startsWith('/') || /^[A-Za-z]:[\\/]/.test(resolved))) record(resolved);
  return resolved;
};
