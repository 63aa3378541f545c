import { UsageError } from '../../core/errors.js';
import { kafkaConnection, type KafkaConnection } from '../../transport/kafka/config.js';

/** The Kafka flags replay and run share, named as Kafka's own tools and kcat name them too. */
export interface KafkaFlags {
  brokers?: string;
  /** Kafka's tools' name for --brokers. */
  bootstrapServer?: string;
  /** -X key=value client properties, over --kafka-config's. */
  X?: string[];
  kafkaConfig?: string;
}

/** --brokers or --bootstrap-server (the same thing); undefined when neither is given. */
export function brokersOf(f: KafkaFlags): string | undefined {
  if (f.brokers !== undefined && f.bootstrapServer !== undefined && f.brokers !== f.bootstrapServer) {
    throw new UsageError(`--brokers ${f.brokers} and --bootstrap-server ${f.bootstrapServer} disagree: give one`);
  }
  return f.brokers ?? f.bootstrapServer;
}

export function connectionOf(f: KafkaFlags, brokers: string): KafkaConnection {
  return kafkaConnection(brokers, f.kafkaConfig, process.env, f.X ?? []);
}
