/**
 * The template plugin's metrics, named and labelled as CoreDNS's plugin/template/metrics.go
 * (`view` is empty: clusterdns has no view plugin). The `template` label is the failing template
 * as Go prints its parse tree.
 */
import type { Counter } from 'prom-client';
import { counter } from '../../metrics/registry.ts';

export interface TemplateMetrics {
  matches: Counter<'server' | 'zone' | 'view' | 'class' | 'type'>;
  templateFailures: Counter<'server' | 'zone' | 'view' | 'class' | 'type' | 'section' | 'template'>;
  rrFailures: Counter<'server' | 'zone' | 'view' | 'class' | 'type' | 'section' | 'template'>;
}

export function templateMetrics(): TemplateMetrics {
  const failureLabels = ['server', 'zone', 'view', 'class', 'type', 'section', 'template'] as const;
  return {
    matches: counter('coredns_template_matches_total', 'Counter of template regex matches.', ['server', 'zone', 'view', 'class', 'type']),
    templateFailures: counter('coredns_template_template_failures_total', 'Counter of go template failures.', failureLabels),
    rrFailures: counter('coredns_template_rr_failures_total', 'Counter of mis-templated RRs.', failureLabels),
  };
}
