/**
 * /monthly's month boundaries: the 1st at local midnight in the configured timezone, across DST
 * changes and month lengths, as /daily and /weekly count days and weeks.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createFmt } from '../src/render/format.js';

test('monthStart is local midnight of the 1st, whatever the month length or a DST change in it', () => {
  const madrid = createFmt('es', 'Europe/Madrid');
  // 2026-03-31 23:30 in Madrid (CEST, UTC+2) is still March: the month started 2026-03-01 00:00 CET (UTC+1).
  assert.equal(madrid.monthStart(Date.UTC(2026, 2, 31, 21, 30)), Date.UTC(2026, 1, 28, 23, 0));
  // 2026-04-01 00:30 in Madrid is April: 2026-04-01 00:00 CEST = 03-31 22:00 UTC.
  assert.equal(madrid.monthStart(Date.UTC(2026, 2, 31, 22, 30)), Date.UTC(2026, 2, 31, 22, 0));
  // October (DST ends in it): the 1st was still CEST.
  assert.equal(madrid.monthStart(Date.UTC(2026, 9, 30, 12)), Date.UTC(2026, 8, 30, 22, 0));
  const utc = createFmt('en', 'UTC');
  assert.equal(utc.monthStart(Date.UTC(2028, 1, 29, 23, 59)), Date.UTC(2028, 1, 1));
  assert.equal(utc.monthStart(Date.UTC(2026, 0, 1)), Date.UTC(2026, 0, 1), 'the first instant of a month is its own start');
  assert.equal(utc.month(Date.UTC(2026, 10, 30)), 'Nov 2026');
  assert.match(madrid.month(Date.UTC(2026, 10, 30)), /^nov 2026$/);
  // Stepping back half of the shortest month from a month start lands in the month before, every month.
  for (let m = 0; m < 24; m++) {
    const start = madrid.monthStart(Date.UTC(2025, m, 15));
    const prev = madrid.monthStart(start - 14 * 86_400_000);
    assert.equal(madrid.monthStart(start - 1), prev, `month ${m}`);
  }
});

test('midnight is 00:00, not 24:00 (en-US with hour12: false wrote 24:00)', () => {
  const utc = createFmt('en', 'UTC');
  assert.equal(utc.dateTime(Date.UTC(2026, 10, 30)), '11/30/2026, 00:00');
  assert.equal(utc.time(Date.UTC(2026, 10, 30)), '00:00:00');
  assert.equal(createFmt('es', 'UTC').dateTime(Date.UTC(2026, 10, 30)), '30/11/2026, 00:00');
});
