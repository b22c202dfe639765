/**
 * The layout of reports as Discord embeds (src/chat/discord-embeds.ts), pure: the edge cases the
 * adapter tests do not reach over the wire (very long titles and lines, many sections).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EMBED_LIMITS, cardMessages, embedSize, reportEmbeds, type Embed } from '../src/chat/discord-embeds.js';
import type { Rich } from '../src/render/rich.js';

const bold = (text: string) => ({ text, style: 'bold' as const });
const plainSpan = (text: string) => ({ text, style: 'plain' as const });

function assertWithinLimits(messages: Embed[][]) {
  for (const m of messages) {
    assert.ok(m.length <= EMBED_LIMITS.embedsPerMessage);
    assert.ok(m.reduce((a, e) => a + embedSize(e), 0) <= EMBED_LIMITS.totalPerMessage);
    for (const e of m) {
      assert.ok((e.title ?? '').length <= EMBED_LIMITS.title, `title of ${e.title?.length}`);
      assert.ok((e.description ?? '').length <= EMBED_LIMITS.description);
      assert.ok((e.fields ?? []).length <= EMBED_LIMITS.fields);
      for (const f of e.fields ?? []) assert.ok(f.name && f.value && f.name.length <= EMBED_LIMITS.fieldName && f.value.length <= EMBED_LIMITS.fieldValue);
    }
  }
}

test('a title longer than 256 characters after escaping is cut, and says so', () => {
  const rich: Rich = [[bold('_'.repeat(300))], [plainSpan('body')]];
  const [e] = reportEmbeds(rich, { kind: 'report', tone: 'neutral' }, false);
  assert.ok(e.title!.length <= 256, String(e.title!.length));
  assert.ok(e.title!.endsWith('…'));
  assert.match(e.title!, /^(\\_)+…$/, 'escapes are never cut in half');
});

test('a title is cut before an emoji, never through it', () => {
  const rich: Rich = [[plainSpan('a'.repeat(254) + '📈📈')]];
  const [e] = reportEmbeds(rich, { kind: 'report', tone: 'neutral' }, false);
  assert.ok(e.title!.length <= 256);
  assert.ok(!/[\uD800-\uDBFF]…$/.test(e.title!), 'no lone high surrogate before the ellipsis');
});

test('a wall of text longer than a description is spread over embeds, nothing lost', () => {
  const wall = 'w'.repeat(9000);
  const rich: Rich = [[bold('HEAD')], [plainSpan(wall)]];
  const messages = cardMessages({ rich, card: { kind: 'report', tone: 'up' } }, true);
  assertWithinLimits(messages);
  const text = messages.flat().map((e) => e.description ?? '').join('');
  assert.equal(text, wall);
  assert.deepEqual(messages[0][0].image, { url: 'attachment://chart.png' });
  assert.equal(messages.flat().filter((e) => e.image).length, 1, 'the chart once');
});

test('more sections than 25 fields go on in the next embed, in order', () => {
  const rich: Rich = [[bold('REPORT')]];
  for (let i = 0; i < 40; i++) rich.push([], [plainSpan('• '), bold(`Section ${i}:`)], [plainSpan(`value ${i}`)]);
  const messages = cardMessages({ rich, card: { kind: 'daily', tone: 'down' } }, false);
  assertWithinLimits(messages);
  const names = messages.flat().flatMap((e) => (e.fields ?? []).map((f) => f.name));
  assert.deepEqual(names, Array.from({ length: 40 }, (_, i) => `• Section ${i}:`));
  assert.equal(messages.flat()[0].fields!.length, 25);
  assert.ok(messages.flat().every((e) => e.color === 0xef5350));
});

test('a section too long for a field becomes a description, keeping its heading in bold', () => {
  const rows = Array.from({ length: 60 }, (_, i) => [plainSpan(`row ${i} ${'x'.repeat(20)}`)]);
  const rich: Rich = [[bold('REPORT')], [], [bold('Trades:')], ...rows, [], [bold('After:')], [plainSpan('tail')]];
  const embeds = reportEmbeds(rich, { kind: 'report', tone: 'neutral' }, false);
  assert.match(embeds[0].description ?? embeds[1].description!, /^\*\*Trades:\*\*\nrow 0 /);
  const last = embeds.at(-1)!;
  assert.deepEqual(last.fields, [{ name: 'After:', value: 'tail' }], 'the section after it still comes after it');
});
