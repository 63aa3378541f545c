// The @platformatic/kafka consumer stream alone over a topic: the Node client's own rate, shared by
// bench/kafka.mjs (beside ConsumerPerformance) and bench/kafka-clients.mjs (beside kafkajs).
import { Consumer } from '@platformatic/kafka';

/** Records per second of the client's consumer stream over the topic's first n records, from the first record on. */
export async function clientConsume(broker, topic, n) {
  const c = new Consumer({ clientId: 'sat-bench', groupId: `bench-${Math.random()}`, bootstrapBrokers: [broker] });
  const stream = await c.consume({ topics: [topic], mode: 'earliest', autocommit: false, isolationLevel: 1 });
  let count = 0;
  let t0 = 0;
  for await (const _ of stream) {
    if (t0 === 0) t0 = performance.now();
    if (++count >= n) break;
  }
  const ms = performance.now() - t0;
  await stream.close();
  await c.close(true);
  return n / (ms / 1000);
}
