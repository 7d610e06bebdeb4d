/**
 * /login only takes what the page itself sends: a JSON body, from a page of this listener. A browser
 * cannot send a cross-site form as application/json (it would need a CORS preflight, which this
 * listener never grants), and it always names the page's origin on a POST; both are checked, so a
 * form on another site can neither log a victim's browser in nor probe passwords through it.
 * API clients do not need /login: they send Authorization with every request.
 */
import type { IncomingHttpHeaders } from 'node:http';

/** Why this request may not log in, or undefined when it may. */
export function loginRequestProblem(headers: IncomingHttpHeaders): string | undefined {
  const type = (headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') return `login takes a JSON body (Content-Type: application/json), not ${type ? type : 'a body without a Content-Type'}`;
  const own = ownHosts(headers);
  const origin = headers.origin;
  if (origin !== undefined) {
    return own.has(hostOf(origin) ?? '') ? undefined : `login is only accepted from this listener's own page, not from origin ${origin}`;
  }
  const site = header(headers['sec-fetch-site']);
  if (site !== undefined) return site === 'same-origin' ? undefined : `login is only accepted from this listener's own page (Sec-Fetch-Site: ${site})`;
  const referer = headers.referer;
  if (referer !== undefined) return own.has(hostOf(referer) ?? '') ? undefined : "login is only accepted from this listener's own page, not from another site";
  return 'login is for the web page (it sends an Origin header); API clients send Authorization: Bearer or Basic with each request';
}

/**
 * Why a browser request that changes something (delete, hold, release) may not: it came from another
 * site. A browser names the page's origin on every such request (Origin, or Sec-Fetch-Site), and a session
 * cookie is SameSite=Strict; this also covers basic-auth credentials a browser remembers, which it would
 * send along with another site's form. API clients send neither header and are not affected.
 */
export function crossSiteWriteProblem(headers: IncomingHttpHeaders): string | undefined {
  const origin = headers.origin;
  if (origin !== undefined) return ownHosts(headers).has(hostOf(origin) ?? '') ? undefined : `changes are only accepted from this listener's own page, not from origin ${origin}`;
  const site = header(headers['sec-fetch-site']);
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return `changes are only accepted from this listener's own page (Sec-Fetch-Site: ${site})`;
  return undefined;
}

/**
 * The host names this listener is reached by: Host, and X-Forwarded-Host for a proxy that rewrites Host.
 * A cross-site page cannot add X-Forwarded-Host to its request without a preflight, so trusting it here
 * widens nothing an attacker controls.
 */
function ownHosts(headers: IncomingHttpHeaders): Set<string> {
  const out = new Set<string>();
  if (headers.host) out.add(headers.host.toLowerCase());
  const forwarded = header(headers['x-forwarded-host']);
  if (forwarded) for (const h of forwarded.split(',')) out.add(h.trim().toLowerCase());
  return out;
}

/** host[:port] of an origin or URL; the scheme is not compared (a TLS proxy turns https into http). */
function hostOf(url: string): string | undefined {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.host.toLowerCase() : undefined;
  } catch {
    return undefined;
  }
}

function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
