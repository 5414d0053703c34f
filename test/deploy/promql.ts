/**
 * Metric names referenced by PromQL, found with Prometheus's own grammar (@prometheus-io/lezer-promql,
 * the parser behind Prometheus's query editor) rather than with regular expressions, so names inside
 * functions, aggregations and binary expressions are all found and label names or strings are not
 * mistaken for metrics. Grafana's variables are replaced first ($__rate_interval → 5m, $var → .*).
 */
import { parser } from '@prometheus-io/lezer-promql';

export function grafanaToPromql(expr: string): string {
  return expr
    .replace(/\$__(rate_)?interval|\$__range/g, '5m')
    .replace(/\$\{?[A-Za-z_][A-Za-z0-9_]*\}?/g, '.*');
}

/** Metric names in one PromQL expression; throws when the expression does not parse. */
export function metricNames(expr: string): string[] {
  const tree = parser.parse(expr);
  const names = new Set<string>();
  let error: number | undefined;
  tree.iterate({
    enter(n) {
      if (n.type.isError && error === undefined) error = n.from;
      if (n.name === 'VectorSelector') {
        const id = n.node.getChild('Identifier');
        if (id) names.add(expr.slice(id.from, id.to));
      }
    },
  });
  if (error !== undefined) throw new Error(`PromQL does not parse at ${error}: ${expr.slice(0, error)} ▶ ${expr.slice(error)}`);
  return [...names];
}

/** The series a histogram's name stands for: name_bucket/_sum/_count belong to the family `name`. */
export function familyOf(name: string): string {
  return name.replace(/_(bucket|sum|count)$/, '');
}
