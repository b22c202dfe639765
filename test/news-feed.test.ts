import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { parseFeed, rssNewsFeed, scoreHeadline } from '../src/crew/news.js';

const RSS = `<?xml version="1.0"?><rss version="2.0"><channel><title>Crypto wire</title>
<item><title><![CDATA[Bitcoin rally pushes price to record high]]></title><link>https://example.test/a</link><pubDate>Tue, 24 Nov 2026 09:00:00 GMT</pubDate></item>
<item><title>Exchange hacked &amp; funds stolen</title><link>https://example.test/b</link><pubDate>Tue, 24 Nov 2026 11:30:00 GMT</pubDate></item>
<item><title>Undated rumour</title><link>https://example.test/c</link></item>
</channel></rss>`;
const ATOM = `<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>ETF approves &#8217;spot&#8217; fund</title><link href="https://example.test/d"/><updated>2026-11-23T08:00:00Z</updated></entry></feed>`;

test('RSS and Atom parse into dated headlines; undated items are dropped, entities decoded', () => {
  const rss = parseFeed(RSS);
  assert.deepEqual(rss.map((h) => h.headline), ['Bitcoin rally pushes price to record high', 'Exchange hacked & funds stolen']);
  assert.equal(rss[0].ts, Date.UTC(2026, 10, 24, 9));
  assert.equal(rss[1].url, 'https://example.test/b');
  const atom = parseFeed(ATOM);
  assert.deepEqual(atom, [{ ts: Date.UTC(2026, 10, 23, 8), headline: 'ETF approves ’spot’ fund', url: 'https://example.test/d' }]);
  assert.ok(scoreHeadline(rss[0].headline).score > 0 && scoreHeadline(rss[1].headline).score < 0, 'the lexicon reads them as good and bad news');
});

test('the feed is fetched over HTTP, shows only what was published before the decision, and survives an outage', async () => {
  let body = RSS;
  let status = 200;
  let hits = 0;
  const server = http.createServer((_req, res) => {
    hits++;
    res.writeHead(status, { 'content-type': 'application/rss+xml' });
    res.end(status === 200 ? body : 'down');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/feed.xml`;
  const errors: string[] = [];
  const feed = rssNewsFeed(url, { onError: (e) => errors.push(e.message) });
  try {
    await feed.refresh!();
    assert.equal(hits, 1);
    assert.equal(feed.size(), 2);
    // A decision at 10:00 sees the 09:00 headline, not the 11:30 one (no lookahead).
    assert.deepEqual(feed.recent(Date.UTC(2026, 10, 24, 10), 3).map((h) => h.url), ['https://example.test/a']);
    assert.equal(feed.recent(Date.UTC(2026, 10, 24, 12), 3).length, 2);
    assert.equal(feed.recent(Date.UTC(2026, 11, 24, 12), 3).length, 0, 'too old after a month');
    status = 503;
    await feed.refresh!();
    assert.equal(feed.size(), 2, 'an outage keeps what was read');
    assert.match(errors[0], /answered 503/);
    status = 200;
    body = ATOM;
    await feed.refresh!();
    assert.equal(feed.size(), 3, 'new items are merged with the old');
  } finally {
    feed.stop();
    await new Promise((r) => server.close(r));
  }
});
