import { once } from 'node:events';
import { createServer, type Server } from 'node:http';

/** Where a step publishes its figures: values are read when Prometheus scrapes, never pushed per record. */
export interface MetricsSink {
  /** A gauge read at scrape time; a map gives one series per label value (label name `label`). */
  gauge(name: string, help: string, read: () => number | Record<string, number>, label?: string): void;
}

export interface MetricsServer extends MetricsSink {
  url: string;
  close(): Promise<void>;
}

/**
 * GET /metrics in Prometheus' text format on host:port (prom-client's registry). Counters are
 * exposed as gauges of running totals read from the step's own stats, so the hot loop pays nothing.
 */
export async function serveMetrics(port: number, prefix: string, host = '127.0.0.1'): Promise<MetricsServer> {
  // Loaded here, for --metrics-port only: at start it cost every run and replay ~50 ms.
  const { Gauge, Registry } = await import('prom-client');
  const registry = new Registry();
  const server: Server = createServer(async (req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end('GET /metrics\n');
      return;
    }
    try {
      const body = await registry.metrics();
      res.writeHead(200, { 'content-type': registry.contentType }).end(body);
    } catch (e) {
      res.writeHead(500).end(String((e as Error).message));
    }
  });
  server.listen(port, host);
  await once(server, 'listening');
  const addr = server.address();
  const url = `http://${host}:${typeof addr === 'object' && addr ? addr.port : port}/metrics`;
  return {
    url,
    gauge(name, help, read, label = 'kind') {
      new Gauge({
        name: `${prefix}_${name}`,
        help,
        labelNames: [label],
        registers: [registry],
        collect() {
          const v = read();
          if (typeof v === 'number') this.set(v);
          else for (const [k, x] of Object.entries(v)) this.set({ [label]: k }, x);
        },
      });
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The latency quantiles of a summary as one labelled gauge series each. */
export function quantiles(s: { p50: number; p90: number; p99: number; p999: number; max: number }): Record<string, number> {
  return { '0.5': s.p50, '0.9': s.p90, '0.99': s.p99, '0.999': s.p999, '1': s.max };
}
