/**
 * The API client metrics CoreDNS ≥ 1.11 exports for its kubernetes plugin (plugin/kubernetes/
 * metrics.go, fed by client-go's request hooks), with the same names, labels and buckets:
 *
 * - coredns_kubernetes_rest_client_requests_total{code, method, host}: one per HTTP request the
 *   plugin makes (each list page, each watch opened); `code` is the HTTP status, or "<error>" when
 *   no response came back (refused, reset, timed out), as client-go counts it.
 * - coredns_kubernetes_rest_client_request_duration_seconds{verb, host}: from the start of a request
 *   until its answer is in (a list page's whole body; a watch's response headers, the stream that
 *   follows is not the request).
 * - coredns_kubernetes_rest_client_rate_limiter_duration_seconds{verb, host}: how long a request was
 *   held back in the client before it went out. client-go's token bucket holds requests; this client
 *   has no token bucket and holds a request back only while it backs off after a failed one
 *   (25 ms doubling to 300 ms), so the histogram gets one observation per request: 0 when sent at
 *   once, the back-off it waited otherwise.
 *
 * `host` is the API server's host:port and `verb`/`method` the HTTP method, as client-go passes them.
 * Buckets are Prometheus's DefBuckets, as CoreDNS uses.
 */
import { counter, histogram } from '../../metrics/registry.ts';

/** prometheus.DefBuckets. */
export const DEF_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** What the reflectors report about their requests to one API server. */
export interface RestClientRecorder {
  /** A request that got an answer (its HTTP status) or none (`code` undefined). */
  request(method: string, code: number | undefined, seconds: number): void;
  /** The time a request was held in the client before it was sent. */
  held(method: string, seconds: number): void;
}

export function restClientMetrics(server: string): RestClientRecorder {
  const host = hostOf(server);
  const requests = counter('coredns_kubernetes_rest_client_requests_total',
    'Number of HTTP requests, partitioned by status code, method, and host.', ['code', 'method', 'host']);
  const duration = histogram('coredns_kubernetes_rest_client_request_duration_seconds',
    'Request latency in seconds. Broken down by verb and host.', ['verb', 'host'], DEF_BUCKETS);
  const limiter = histogram('coredns_kubernetes_rest_client_rate_limiter_duration_seconds',
    'Client side rate limiter latency in seconds. Broken down by verb and host.', ['verb', 'host'], DEF_BUCKETS);
  return {
    request(method, code, seconds) {
      requests.inc({ code: code === undefined ? '<error>' : String(code), method, host });
      duration.observe({ verb: method, host }, seconds);
    },
    held(method, seconds) { limiter.observe({ verb: method, host }, seconds); },
  };
}

/**
 * The host[:port] of an API server URL as Go's url.URL.Host gives it: written as in the URL, so
 * the in-cluster https://10.96.0.1:443 is "10.96.0.1:443" (WHATWG URL would drop the 443).
 */
export function hostOf(server: string): string {
  const rest = server.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  const authority = rest.split(/[/?#]/, 1)[0]!;
  return authority.slice(authority.lastIndexOf('@') + 1);
}
