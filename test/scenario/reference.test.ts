import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scenarioReference } from '../../src/scenario/reference.js';
import { ROOT } from '../helpers.js';

describe('the scenario reference', () => {
  it('docs/scenario-reference.md is what the schema writes (run `npm run docs` after changing a key)', () => {
    expect(readFileSync(join(ROOT, 'docs', 'scenario-reference.md'), 'utf8')).toBe(scenarioReference());
  });

  it('names every key the loader accepts, with its default', () => {
    const text = scenarioReference();
    for (const key of ['`event_time.zone`', '`window.sliding`', '`faults.late_by`', '`join.online.batch_size`', '`reports.top_users.n`', '`source.encoding`']) expect(text).toContain(key);
    expect(text).toMatch(/\| `faults\.late_by` \| string \| `"1m\.\.10m"` \|/);
    expect(text).toMatch(/\| `%I` \| hour 01-12, with %p \|/);
    expect(text).toContain('`count_distinct(field)`');
  });
});
