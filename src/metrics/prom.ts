/**
 * prom-client's classes, loaded from its lib/ files instead of its index module. The index also
 * loads prom-client's Pushgateway, which pulls in node:http, node:https and node:zlib — about
 * 15 MiB of resident memory in a server that pushes nothing and, without the prometheus plugin,
 * serves no HTTP at all (measured on Node 24: `import('prom-client')` RSS 64 MiB, these lib files
 * 47, bare node 44). The package has no "exports" map, so its lib/ files are public paths; they
 * are the very modules the index re-exports (one require cache, so one class per metric kind and
 * one registry, whichever path a module or a test imports them by). The types are the package's.
 * prom-client's default collectors (and @opentelemetry/api under them) are loaded by
 * src/metrics/process.ts, that is only with the prometheus plugin.
 */
import { createRequire } from 'node:module';
import type * as Prom from 'prom-client';

const require = createRequire(import.meta.url);

export const Registry = require('prom-client/lib/registry.js') as typeof Prom.Registry;
export type Registry = Prom.Registry;
export const Counter = require('prom-client/lib/counter.js') as typeof Prom.Counter;
export type Counter<L extends string = string> = Prom.Counter<L>;
export const Gauge = require('prom-client/lib/gauge.js') as typeof Prom.Gauge;
export type Gauge<L extends string = string> = Prom.Gauge<L>;
export const Histogram = require('prom-client/lib/histogram.js') as typeof Prom.Histogram;
export type Histogram<L extends string = string> = Prom.Histogram<L>;
export const AggregatorRegistry = require('prom-client/lib/cluster.js') as typeof Prom.AggregatorRegistry;
