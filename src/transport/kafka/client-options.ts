import { guardBrokerLeft } from './broker-left.js';
import type { KafkaConnection } from './config.js';

// Apart from config.ts, which the CLI loads for every command's flags: importing the Kafka client
// costs ~0.5 s (its option schemas are compiled on import), which a run on the embedded log must not pay.

/**
 * Client retries: 120 x 500 ms rides out a broker restart or a leader move of up to a minute, as the
 * Java producer's delivery.timeout.ms (2 min) does; the library's default (3 x 1 s) gives up during
 * a restart of a single broker, which takes 10-20 s here.
 */
export const CLIENT_RETRIES = 120;
export const CLIENT_RETRY_DELAY_MS = 500;

/** Options shared by every client the platformatic library creates. */
export function clientOptions(c: KafkaConnection, clientId: string) {
  guardBrokerLeft();
  return {
    clientId,
    bootstrapBrokers: c.brokers,
    retries: CLIENT_RETRIES,
    retryDelay: CLIENT_RETRY_DELAY_MS,
    ...(c.sasl ? { sasl: { mechanism: c.sasl.mechanism, username: c.sasl.username, password: c.sasl.password } } : {}),
    ...(c.tls ? { tls: { ca: c.tls.ca, rejectUnauthorized: c.tls.rejectUnauthorized } } : {}),
  };
}
