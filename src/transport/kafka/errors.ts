import { SatError } from '../../core/errors.js';

/**
 * A Kafka client failure that reached the edge of sat's Kafka transport: the broker gone, refused,
 * timed out, a topic or group the broker will not serve. Exit 3 (the environment), as kafkajs types
 * its errors by kind; `retriable` says whether trying the same command again can help (the client's
 * own retries are already spent by then).
 */
export class KafkaError extends SatError {
  constructor(
    message: string,
    readonly retriable: boolean,
    override readonly cause?: unknown,
  ) {
    super(`Kafka: ${message}`, 3);
  }
}

/** The client (@platformatic/kafka) marks its errors with PLT_KFK_ codes and wraps retries in aggregates. */
function isClientError(e: unknown): boolean {
  return String((e as { code?: unknown })?.code ?? '').startsWith('PLT_KFK_');
}

/** What failed and the first underlying cause, in one line. */
export function kafkaCause(e: Error): string {
  const inner = (e as { errors?: Error[] }).errors?.[0] ?? (e.cause as Error | undefined);
  const own = e.message.replace(/\.$/, '');
  const innerText = inner && inner !== e ? kafkaCause(inner) : '';
  return innerText && !own.includes(innerText) ? `${own}: ${innerText}` : own;
}

/** The client says so on the error or on the first error it wraps. */
function canRetry(e: unknown): boolean {
  const x = e as { canRetry?: boolean; errors?: unknown[]; cause?: unknown };
  if (x?.canRetry === true) return true;
  const inner = x?.errors?.[0] ?? x?.cause;
  return inner !== undefined && inner !== e && canRetry(inner);
}

/** A client error as a KafkaError; anything else (sat's own errors, bugs) unchanged. */
export function asKafkaError(e: unknown): unknown {
  if (!isClientError(e)) return e;
  const retriable = canRetry(e) || /timed out|ECONNREFUSED|ECONNRESET/i.test(kafkaCause(e as Error));
  return new KafkaError(kafkaCause(e as Error), retriable, e);
}

/** Runs a call at the transport's edge, turning client errors into KafkaErrors. */
export async function atKafkaEdge<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    throw asKafkaError(e);
  }
}
