import { existsSync, readFileSync } from 'node:fs';
import { SatError, UsageError } from '../../core/errors.js';
import { reachable } from './reachable.js';

/** How to reach a cluster. Credentials never leave this object: summaries use `describeConnection`. */
export interface KafkaConnection {
  brokers: string[];
  sasl?: { mechanism: 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512'; username: string; password: string };
  tls?: { ca?: string; rejectUnauthorized: boolean };
}

const MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;

/**
 * Brokers from --brokers; security from a properties file (--kafka-config, Kafka client property
 * names), -X key=value properties (over the file's) and/or environment variables SAT_KAFKA_SASL_MECHANISM, SAT_KAFKA_USERNAME,
 * SAT_KAFKA_PASSWORD, SAT_KAFKA_TLS=true, SAT_KAFKA_TLS_CA (a PEM file). The environment wins.
 */
export function kafkaConnection(brokers: string, configFile?: string, env: NodeJS.ProcessEnv = process.env, inline: string[] = []): KafkaConnection {
  const list = brokers.split(',').map((b) => b.trim()).filter(Boolean);
  for (const b of list) if (!/^[^\s:]+:\d+$/.test(b)) throw new UsageError(`--brokers: "${b}" is not HOST:PORT`);
  if (list.length === 0) throw new UsageError('--brokers: no broker given');
  const props: Record<string, string> = {};
  if (configFile !== undefined) {
    if (!existsSync(configFile)) throw new UsageError(`--kafka-config ${configFile}: no such file`);
    for (const line of readFileSync(configFile, 'utf8').split('\n')) {
      const m = /^\s*([\w.]+)\s*[=:]\s*(.*?)\s*$/.exec(line);
      if (m && !line.trim().startsWith('#')) props[m[1]] = m[2];
    }
  }
  // -X key=value on the command line, over the file's.
  for (const kv of inline) {
    const m = /^\s*([\w.]+)\s*=(.*)$/.exec(kv);
    if (!m) throw new UsageError(`-X ${kv}: expected key=value, e.g. -X security.protocol=SASL_SSL`);
    props[m[1]] = m[2].trim();
  }
  const protocol = props['security.protocol'] ?? '';
  const mechanism = env.SAT_KAFKA_SASL_MECHANISM ?? props['sasl.mechanism'];
  const username = env.SAT_KAFKA_USERNAME ?? props['sasl.username'];
  const password = env.SAT_KAFKA_PASSWORD ?? props['sasl.password'];
  const tlsOn = env.SAT_KAFKA_TLS === 'true' || protocol === 'SSL' || protocol === 'SASL_SSL';
  const ca = env.SAT_KAFKA_TLS_CA ?? props['ssl.truststore.location.pem'] ?? props['ssl.ca.location'];
  const conn: KafkaConnection = { brokers: list };
  if (mechanism !== undefined) {
    if (!(MECHANISMS as readonly string[]).includes(mechanism)) throw new UsageError(`SASL mechanism "${mechanism}" is not one of ${MECHANISMS.join(', ')}`);
    if (!username || !password) throw new UsageError(`SASL ${mechanism} needs a username and a password (SAT_KAFKA_USERNAME, SAT_KAFKA_PASSWORD or sasl.username/sasl.password)`);
    conn.sasl = { mechanism: mechanism as (typeof MECHANISMS)[number], username, password };
  }
  if (tlsOn) {
    if (ca !== undefined && !existsSync(ca)) throw new UsageError(`TLS CA file ${ca} not found`);
    conn.tls = { ca: ca === undefined ? undefined : readFileSync(ca, 'utf8'), rejectUnauthorized: true };
  }
  return conn;
}

/** For logs and reports: brokers and the kind of security, never a secret. */
export function describeConnection(c: KafkaConnection): string {
  const parts = [c.brokers.join(',')];
  if (c.sasl) parts.push(`SASL ${c.sasl.mechanism} as ${c.sasl.username}`);
  if (c.tls) parts.push('TLS');
  return parts.join(', ');
}

/**
 * A check that one of the brokers accepts connections, once the flags have been checked: a wrong
 * address fails at once with one line (exit 3) rather than after the clients' long retries.
 */
export async function ensureReachable(conn: KafkaConnection): Promise<void> {
  for (const b of conn.brokers) if (await reachable(b)) return;
  throw new SatError(`Kafka: no broker answers at ${conn.brokers.join(',')}`, 3);
}
