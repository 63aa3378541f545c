import { describe, expect, it } from 'vitest';
import { guessColumn } from '../../src/scenario/infer.js';

describe('scenario infer: a column type from its sampled values', () => {
  it('numbers, texts, nullable columns', () => {
    expect(guessColumn('n', ['1', '-2', '+3'])).toMatchObject({ type: 'int', nullable: false, distinct: 3 });
    expect(guessColumn('x', ['1', '2.5', null])).toMatchObject({ type: 'float', nullable: true });
    expect(guessColumn('s', ['a', '1'])).toMatchObject({ type: 'string' });
    expect(guessColumn('big', ['12345678901234567890'])).toMatchObject({ type: 'float' }); // past 2^53: not an int sat keeps exactly
    expect(guessColumn('empty', [null, null])).toMatchObject({ type: 'string', nullable: true });
  });

  it('times: ISO dates and timestamps, epoch numbers by their size, and common patterns', () => {
    expect(guessColumn('d', ['2015-08-31', '2015-09-01'])).toMatchObject({ type: 'date', time: { format: 'iso', min: Date.UTC(2015, 7, 31), max: Date.UTC(2015, 8, 1) } });
    expect(guessColumn('t', ['2019-06-01 00:55:13', '2019-06-01T01:00:00Z'])).toMatchObject({ type: 'timestamp', time: { format: 'iso' } });
    expect(guessColumn('ts', ['1559350513', '1559350600'])).toMatchObject({ type: 'int', time: { format: 'epoch_s', min: 1559350513000 } });
    expect(guessColumn('ts', ['1559350513123'])).toMatchObject({ type: 'int', time: { format: 'epoch_ms' } });
    expect(guessColumn('ts', ['1559350513123456'])).toMatchObject({ type: 'int', time: { format: 'epoch_us' } });
    expect(guessColumn('n', ['15', '16'])).not.toHaveProperty('time');
    expect(guessColumn('t', ['06/01/2019 01:45:00 PM', '12/31/2019 12:00:00 AM'])).toMatchObject({ type: 'timestamp', time: { format: '%m/%d/%Y %I:%M:%S %p' } });
    expect(guessColumn('t', ['2019/06/01 13:45'])).toMatchObject({ time: { format: '%Y/%m/%d %H:%M' } });
    expect(guessColumn('t', ['31.12.2019 23:59:59'])).toMatchObject({ time: { format: '%d.%m.%Y %H:%M:%S' } });
    // 13/01 cannot be month/day: the day-first pattern is the one that reads every value.
    expect(guessColumn('t', ['01/02/2019 10:00', '13/01/2019 10:00'])).toMatchObject({ time: { format: '%d/%m/%Y %H:%M' } });
  });
});
