/**
 * `edge-wizard one --endpoint https://...` (issue 21): oned behind TLS. A system suite: it runs
 * openssl to make a throwaway self-signed certificate; the stand-in oned serves https with it.
 */
import { describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { runOne, type OneDeps } from '../../src/cli/commands/one.js';
import { httpTransport } from '../../src/adapters/opennebula/xmlrpc.js';
import { FakeOned, standInEstate } from '../support/fake-oned.js';

const seedText = readFileSync(new URL('../../examples/seed-practical.yaml', import.meta.url), 'utf8');
function io() {
  const out = new PassThrough();
  const err = new PassThrough();
  let o = '';
  let e = '';
  out.on('data', (b: Buffer) => (o += b.toString()));
  err.on('data', (b: Buffer) => (e += b.toString()));
  return { io: { out, err, debug: false }, text: () => ({ out: o, err: e }) };
}
const deps = (over: Partial<OneDeps> = {}): OneDeps => ({
  env: {},
  spawn: () => {
    throw new Error('no tunnel in this test');
  },
  exec: async () => {
    throw new Error('no exec in this test');
  },
  transport: (e) => httpTransport(e),
  ...over,
});

describe('--endpoint https:// (issue 21)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ew-one-tls-'));
  const file = join(dir, 'edge-wizard.yaml');
  writeFileSync(file, seedText.replace('password: opennebula', 'password: s3cret'));

  test('https:// reaches oned behind TLS (the certificate checked); no plain-http warning', async () => {
    const key = join(dir, 'key.pem');
    const crt = join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        key,
        '-out',
        crt,
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    const oned = new FakeOned(standInEstate(), 'oneadmin:s3cret');
    const endpoint = await oned.start({ key: readFileSync(key, 'utf8'), cert: readFileSync(crt, 'utf8') });
    try {
      expect(endpoint).toMatch(/^https:/);
      const t = io();
      expect(await runOne(['-f', file, '--endpoint', endpoint], t.io, deps({ transport: (e) => httpTransport(e, 30000, { ca: readFileSync(crt) }) }))).toBe(0);
      expect(t.text().out).toContain('- Create cluster seed-practical');
      expect(t.text().err).not.toMatch(/plain http/);
      // Without trusting that certificate, TLS refuses it: https really is https.
      const u = io();
      await expect(runOne(['-f', file, '--endpoint', endpoint], u.io, deps())).rejects.toThrow(/self[- ]signed|certificate/i);
    } finally {
      await oned.stop();
    }
  });
});
