/**
 * Credentials in URLs never reach a log line or an error: `endpoint http://user:password@host`
 * is accepted (the user and password become HTTP basic auth, as Go's HTTP client — and so CoreDNS —
 * sends a URL's userinfo), but everything the plugin prints shows the URL as `http://REDACTED@host`.
 */
import type { Logger } from '../../plugin/contract.ts';

const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^/\s@]+@/gi;

/** `text` with the userinfo of every URL in it replaced by REDACTED. */
export function redactUserinfo(text: string): string {
  return text.replace(USERINFO, '$1REDACTED@');
}

/** The endpoint without its userinfo, and that userinfo (decoded) when there was one. */
export function splitUserinfo(endpoint: string): { url: string; auth?: { username: string; password: string } } {
  let u: URL;
  try { u = new URL(endpoint); } catch { return { url: endpoint }; }
  if (u.username === '' && u.password === '') return { url: endpoint };
  const auth = { username: decodeURIComponent(u.username), password: decodeURIComponent(u.password) };
  u.username = ''; u.password = '';
  return { url: u.toString().replace(/\/+$/, ''), auth };
}

/** A logger that redacts URL userinfo from every line, for everything the plugin logs. */
export function redactingLogger(log: Logger): Logger {
  return {
    info: (m) => log.info(redactUserinfo(m)),
    warning: (m) => log.warning(redactUserinfo(m)),
    error: (m) => log.error(redactUserinfo(m)),
    debug: (m) => log.debug(redactUserinfo(m)),
  };
}
