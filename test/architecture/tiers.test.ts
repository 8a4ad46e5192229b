/**
 * The test tiers of jest.config.js hold: a unit suite imports no child_process (so it runs no
 * real tool and no built bin), so `npm run test:unit` stays pure code and fakes. A suite that
 * needs a real tool is named *.system.test.ts (or sits in test/lab/ when it needs the lab).
 */
import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
// @ts-expect-error jest.config.js is plain JavaScript (no declarations)
import { testFiles, tierOf } from '../../jest.config.js';

/** An import of child_process, static or dynamic (spelled in two pieces so this file does not match). */
const STARTS_PROCESSES = new RegExp(`(from |import\\()'node:${'child_process'}'`);

describe('test tiers', () => {
  test('no unit suite starts a process', () => {
    const bad = (testFiles() as string[]).filter((f) => tierOf(f) === 'unit').filter((f) => STARTS_PROCESSES.test(readFileSync(f, 'utf8')));
    expect(bad).toEqual([]);
  });

  test('every suite is in exactly one tier, and each tier has suites', () => {
    const tiers = (testFiles() as string[]).map((f) => tierOf(f) as string);
    expect(new Set(tiers)).toEqual(new Set(['unit', 'system', 'lab']));
  });
});
