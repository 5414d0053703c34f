/** Upstream selection policies of forward (CoreDNS's plugin/forward/policy.go). */
export type PolicyName = 'random' | 'round_robin' | 'sequential';

export interface Policy {
  readonly name: PolicyName;
  list<T>(items: readonly T[]): T[];
}

class Random implements Policy {
  readonly name = 'random' as const;
  list<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      const t = out[i]!; out[i] = out[j]!; out[j] = t;
    }
    return out;
  }
}

class RoundRobin implements Policy {
  readonly name = 'round_robin' as const;
  private robin = 0;
  list<T>(items: readonly T[]): T[] {
    const n = items.length;
    if (n === 0) return [];
    const start = this.robin++ % n;
    if (this.robin > 1e9) this.robin = 0;
    const out = new Array<T>(n);
    for (let i = 0; i < n; i++) out[i] = items[(start + i) % n]!;
    return out;
  }
}

class Sequential implements Policy {
  readonly name = 'sequential' as const;
  list<T>(items: readonly T[]): T[] { return items.slice(); }
}

export function makePolicy(name: PolicyName): Policy {
  switch (name) {
    case 'random': return new Random();
    case 'round_robin': return new RoundRobin();
    case 'sequential': return new Sequential();
  }
}

export const POLICIES: readonly string[] = ['random', 'round_robin', 'sequential'];
