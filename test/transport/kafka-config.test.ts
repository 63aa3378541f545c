import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { asKafkaError, KafkaError } from '../../src/transport/kafka/errors.js';
import { BROKERS, haveBroker } from '../kafka/broker.js';
import { clientOptions } from '../../src/transport/kafka/client-options.js';
import { describeConnection, kafkaConnection } from '../../src/transport/kafka/config.js';
import { parseKafkaUrl } from '../../src/transport/kafka/read-topic.js';
import { sat, tempDir } from '../helpers.js';

describe('Kafka connection settings', () => {
  it('reads SASL and TLS from a client properties file, and never describes a secret', () => {
    const dir = tempDir();
    const ca = join(dir, 'ca.pem');
    writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const props = join(dir, 'client.properties');
    writeFileSync(props, `# a comment\nsecurity.protocol=SASL_SSL\nsasl.mechanism=SCRAM-SHA-512\nsasl.username=alice\nsasl.password=s3cr3t-value\nssl.ca.location=${ca}\n`);
    const c = kafkaConnection('b1:9093,b2:9093', props, {});
    expect(c.sasl).toEqual({ mechanism: 'SCRAM-SHA-512', username: 'alice', password: 's3cr3t-value' });
    expect(c.tls?.ca).toContain('BEGIN CERTIFICATE');
    expect(clientOptions(c, 'x').sasl?.password).toBe('s3cr3t-value');
    const text = describeConnection(c);
    expect(text).toBe('b1:9093,b2:9093, SASL SCRAM-SHA-512 as alice, TLS');
    expect(text).not.toContain('s3cr3t');
  });

  it('lets environment variables override the file', () => {
    const c = kafkaConnection('b:9092', undefined, { SAT_KAFKA_SASL_MECHANISM: 'PLAIN', SAT_KAFKA_USERNAME: 'bob', SAT_KAFKA_PASSWORD: 'pw', SAT_KAFKA_TLS: 'true' });
    expect(c.sasl?.mechanism).toBe('PLAIN');
    expect(c.tls).toBeDefined();
  });

  it('rejects bad settings with a message naming them', () => {
    expect(() => kafkaConnection('localhost', undefined, {})).toThrow(/"localhost" is not HOST:PORT/);
    expect(() => kafkaConnection('b:1', undefined, { SAT_KAFKA_SASL_MECHANISM: 'GSSAPI', SAT_KAFKA_USERNAME: 'u', SAT_KAFKA_PASSWORD: 'p' })).toThrow(/GSSAPI/);
    expect(() => kafkaConnection('b:1', undefined, { SAT_KAFKA_SASL_MECHANISM: 'PLAIN' })).toThrow(/needs a username and a password/);
  });

  it('parses kafka:// result locations', () => {
    expect(parseKafkaUrl('kafka://h1:9092,h2:9092/my.topic-results')).toEqual({ brokers: 'h1:9092,h2:9092', topic: 'my.topic-results' });
    expect(parseKafkaUrl('results.parquet')).toBeUndefined();
  });

  it('the CLI refuses half a Kafka setting with exit 2', () => {
    const r = sat('replay', 'datasets/iot-sample.csv', '--scenario', 'iot', '--topic', 't', '--dir', tempDir());
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--brokers and --topic go together/);
  });

  it('a broker nobody answers at gets one line naming it and exit 3, not a stack trace', () => {
    const r = sat('replay', 'datasets/iot-sample.csv', '--scenario', 'iot', '--brokers', '127.0.0.1:9', '--topic', 't', '--dir', tempDir());
    expect(r.code).toBe(3);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^sat: Kafka: .*127\.0\.0\.1:9/);
  });

  it.skipIf(!haveBroker)('a client error from the broker (an invalid topic name) is typed at the transport edge: one line, exit 3', () => {
    const r = sat('replay', 'datasets/iot-sample.csv', '--scenario', 'iot', '--brokers', BROKERS, '--topic', 'not a topic!', '--dir', tempDir());
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^sat: Kafka: .*CreateTopics.*invalid topic/);
  });
});

describe('KafkaError', () => {
  it('wraps the client\'s errors (PLT_KFK_ codes, aggregates) with the first cause and whether a retry can help; leaves others alone', () => {
    const inner = Object.assign(new Error('Connection refused'), { code: 'PLT_KFK_NETWORK', canRetry: true });
    const outer = Object.assign(new Error('Cannot connect to any broker.'), { code: 'PLT_KFK_MULTIPLE', errors: [inner] });
    const k = asKafkaError(outer) as KafkaError;
    expect(k).toBeInstanceOf(KafkaError);
    expect(k.exitCode).toBe(3);
    expect(k.message).toBe('Kafka: Cannot connect to any broker: Connection refused');
    expect(k.retriable).toBe(true);
    const fenced = asKafkaError(Object.assign(new Error('The producer has been fenced'), { code: 'PLT_KFK_RESPONSE', canRetry: false })) as KafkaError;
    expect(fenced.retriable).toBe(false);
    const bug = new TypeError('x is undefined');
    expect(asKafkaError(bug)).toBe(bug);
  });
});
