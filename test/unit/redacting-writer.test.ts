/**
 * Redaction belongs to every sink, not to the process: a log file or an HTTP response wrapped in a
 * RedactingWriter gets the same guarantee as the terminal, with nothing patched.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createRedactingWriter, registerSecret } from '../../src/redact.js';
import { Ui } from '../../src/cli/ui.js';

const secret = 'writer-test-Secret-9f3b2c';
registerSecret(secret);
const url = `postgresql://spark:${encodeURIComponent(secret)}@db:5432/brave-dolphin`;

function bufferSink(): { sink: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const sink = new Writable({ write(chunk: Buffer, _encoding, done) { chunks.push(Buffer.from(chunk)); done(); } });
  return { sink, text: () => Buffer.concat(chunks).toString('utf8') };
}

test('a Writable into a buffer (a log file) is redacted: plain, URL-encoded and base64 forms', () => {
  const { sink, text } = bufferSink();
  const log = createRedactingWriter(sink);
  log.write(`connecting with ${url}\n`);
  log.write(`data: ${Buffer.from(url).toString('base64')}\n`);
  log.write(`raw ${secret}\n`);
  const out = text();
  assert.ok(!out.includes(secret) && !out.includes(encodeURIComponent(secret)), out);
  assert.ok(!out.includes(Buffer.from(url).toString('base64')), out);
  assert.match(out, /postgresql:\/\/spark:\*\*\*@db:5432\/brave-dolphin/);
});

test('an HTTP response is redacted by construction; revealOnce shows one secret once and no other', async () => {
  const fresh = 'revealed-once-Password-77aa';
  const server = createServer((_req, res) => {
    res.setHeader('content-type', 'text/plain');
    const body = createRedactingWriter(res);
    body.write(`url ${url}\n`);
    body.revealOnce(fresh, `new ${fresh} old ${secret}\n`);
    body.write(`again ${fresh}\n`);
    res.end();
  });
  registerSecret(fresh);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    const text = await response.text();
    assert.ok(!text.includes(secret), text);
    assert.equal(text.split(fresh).length - 1, 1, `shown exactly once: ${text}`);
    assert.match(text, /^url postgresql:\/\/spark:\*\*\*@db/m);
    assert.match(text, /^again \*\*\*$/m);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});

test('a Ui given its own sinks (a dashboard, a test) redacts results, talk and warnings', () => {
  const out = bufferSink();
  const err = bufferSink();
  const ui = new Ui({ json: false, quiet: false, color: false, interactive: false }, { stdout: createRedactingWriter(out.sink), stderr: createRedactingWriter(err.sink) });
  ui.result({}, () => `DATABASE_URL=${url}`);
  ui.info(`token ${secret}`);
  ui.warn(`still ${secret}`);
  ui.print(`${secret}\n`);
  assert.equal(out.text(), 'DATABASE_URL=postgresql://spark:***@db:5432/brave-dolphin\n***\n');
  assert.equal(err.text(), 'token ***\nwarning: still ***\n');
  const json = bufferSink();
  new Ui({ json: true, quiet: false, color: false, interactive: false }, { stdout: createRedactingWriter(json.sink), stderr: createRedactingWriter(err.sink) }).result({ url, secret }, () => '');
  assert.ok(!json.text().includes(secret), json.text());
});
