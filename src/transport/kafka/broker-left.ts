import { ConnectionPool, NetworkError } from '@platformatic/kafka';

type Get = (broker: unknown, callback?: (error: Error | null, connection?: unknown) => void) => unknown;
let guarded = false;

/**
 * A broker that has left the cluster metadata (SIGKILLed mid-run) can still be asked for by id: a
 * consumer of @platformatic/kafka 1.35 looks its group coordinator up in the metadata and hands the
 * connection pool `undefined` when it is not there, and the pool throws a TypeError inside a
 * callback, an uncaught exception that ends the process with a stack trace (seen in CI, the output
 * topics' leader killed mid exactly-once run). Guarded, the pool answers such a call with an error
 * that is not retried with the same stale metadata: the client's operation fails, and `sat run`
 * replaces the consumer, which finds the new coordinator. Installed once, for every client.
 */
export function guardBrokerLeft(): void {
  if (guarded) return;
  guarded = true;
  const pool = ConnectionPool.prototype as unknown as { get: Get };
  const get = pool.get;
  pool.get = function (this: ConnectionPool, broker, callback) {
    if (broker !== undefined && broker !== null) return get.call(this, broker, callback);
    const error = new NetworkError('the broker asked for is not in the cluster metadata (it left the cluster)', { canRetry: false });
    if (callback === undefined) return Promise.reject(error);
    process.nextTick(callback, error);
    return undefined;
  };
}
