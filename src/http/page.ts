/**
 * The one web page (list, filter, search, play, download, details): plain HTML with inline CSS and JS,
 * served under a Content-Security-Policy that allows exactly that inline code (by hash) and nothing else.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Page {
  html: string;
  csp: string;
}

function hashes(html: string, tag: 'script' | 'style'): string[] {
  const out: string[] = [];
  for (const m of html.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))) {
    out.push(`'sha256-${createHash('sha256').update(m[1] as string).digest('base64')}'`);
  }
  return out;
}

export function loadPage(): Page {
  const html = readFileSync(join(__dirname, 'page', 'recordings.html'), 'utf8');
  const csp = [
    "default-src 'none'",
    `script-src ${hashes(html, 'script').join(' ')}`,
    `style-src ${hashes(html, 'style').join(' ')}`,
    "connect-src 'self'",
    "media-src 'self'",
    "img-src 'self' data:",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return { html, csp };
}
