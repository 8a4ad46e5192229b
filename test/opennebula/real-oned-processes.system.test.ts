/**
 * Issue 27 item 10: the real-oned harness must end every process it starts, including those that
 * leave oned's process group (monitord-client.rb is started in the background by
 * monitord-client_control.sh and outlived the tests in groups of their own). Runs without OpenNebula:
 * a stand-in "oned" (bash) starts children the way those do (setsid, a command line naming the
 * instance's directory, an environment cleared but the directory as cwd), and the harness's own
 * endInstance must leave none.
 */
import { describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { endInstance, instanceProcesses } from '../support/real-oned.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('real-oned harness: every process an instance starts ends with it', () => {
  test('children in their own session, named after the directory, or with the environment cleared are ended too; a group kill alone leaves them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ew-oned-reap-'));
    const marker = `reap${process.pid}${Date.now()}`;
    // A stand-in oned: its drivers' ways of leaving the group.
    const script = [
      'setsid sleep 300 &', // inherits EW_ONED_INSTANCE, own session and group
      `setsid bash -c 'exec -a ${dir}/var/remotes/im/kvm.d/monitord-client.rb sleep 301' &`, // as monitord-client.rb: named after the instance
      `(cd ${dir} && exec setsid env -u EW_ONED_INSTANCE sleep 302) &`, // environment cleared, cwd in the instance
      'exec sleep 303',
    ].join('\n');
    const oned = spawn('bash', ['-c', script], { env: { PATH: process.env.PATH, EW_ONED_INSTANCE: marker }, detached: true, stdio: 'ignore' });
    let exited = false;
    oned.on('exit', () => (exited = true));
    try {
      for (let i = 0; i < 100 && instanceProcesses(dir, marker).length < 4; i++) await sleep(50);
      expect(instanceProcesses(dir, marker).length).toBeGreaterThanOrEqual(4);

      // What the harness did before: its group only. The ones that made a session of their own survive it.
      process.kill(-oned.pid!, 'SIGKILL');
      for (let i = 0; i < 50 && !exited; i++) await sleep(20);
      await sleep(100);
      const survivors = instanceProcesses(dir, marker);
      expect(survivors.length).toBeGreaterThanOrEqual(3);

      expect(await endInstance({ pid: oned.pid, isRunning: () => !exited, dir, marker, graceMs: 1000 })).toBe(true);
      expect(instanceProcesses(dir, marker)).toEqual([]);
    } finally {
      for (const pid of instanceProcesses(dir, marker)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  test('refuses to look for the processes of a directory that could match everything', () => {
    expect(() => instanceProcesses('/', 'x')).toThrow(/refusing/);
    expect(() => instanceProcesses('tmp', 'x')).toThrow(/refusing/);
  });
});
