/**
 * A fake ansible-runner over a fake ansible-playbook table: `ansible-runner run
 * PDD ... -p PLAYBOOK` is answered by the table's row for the ansible-playbook
 * command the runner would run (`-i INV -e @PDD/env/extravars -e {extravars as
 * JSON} [--limit L] [--check] [--diff] /abs/PLAYBOOK`), and leaves what the
 * runner leaves: artifacts/<ident>/{stdout,rc,status,command} and job events
 * (playbook_on_stats from the PLAY RECAP the row printed, runner_on_failed /
 * runner_on_unreachable from its failure lines). Other programs go to the
 * table unchanged. `calls` records the ansible-playbook view (existing
 * assertions read it), `runnerCalls` the real argv.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { problemMessage, type HostProblem, type HostStats, type Recap } from '../../src/adapters/ansible.js';
import { fakeExec, type Exec, type ExecOptions, type FakeExecRow } from '../../src/adapters/exec.js';

type Call = { file: string; args: string[]; opts?: ExecOptions };

function option(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

// The fake tables print what ansible-playbook's default callback prints; these two read it
// back (PLAY RECAP and failure lines) to make the job events the real runner would leave.

/** PLAY RECAP lines -> per-host counters (last recap wins when there are several). */
function parseRecap(output: string): Recap {
  const recap: Recap = {};
  const at = output.lastIndexOf('PLAY RECAP');
  if (at < 0) return recap;
  for (const line of output.slice(at).split('\n').slice(1)) {
    const m = /^(\S+)\s+:\s+(.*)$/.exec(line.trim());
    if (!m) continue;
    const stats: HostStats = { ok: 0, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 };
    for (const kv of m[2]!.trim().split(/\s+/)) {
      const [k, v] = kv.split('=');
      if (k && k in stats) stats[k as keyof HostStats] = Number(v);
    }
    recap[m[1]!] = stats;
  }
  return recap;
}

/** `fatal: [h]: FAILED! => {...}`, `failed: [h -> d] (item=x) => {...}`, `fatal: [h]: UNREACHABLE! => {...}`, each with its play (`PLAY [name]`). */
function parseProblems(output: string): Array<HostProblem & { play?: string }> {
  const problems: Array<HostProblem & { play?: string }> = [];
  let task = '';
  let play: string | undefined;
  const lines = output.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const pl = /^PLAY \[(.*)\] \*+/.exec(line);
    if (pl) {
      play = pl[1]!;
      continue;
    }
    const t = /^(?:TASK|RUNNING HANDLER) \[(.*)\] \*+/.exec(line);
    if (t) {
      task = t[1]!;
      continue;
    }
    const m = /^(fatal|failed): \[([^\]\s]+)(?: -> ([^\]\s]+))?\]:?(?: \(item=(.*?)\))?(?:: (FAILED|UNREACHABLE)!)? => (.*)$/.exec(line);
    if (!m) continue;
    // A failure ansible ignores (`ignore_errors`) is followed by "...ignoring".
    if ((lines[i + 1] ?? '').trim() === '...ignoring') continue;
    let body = m[6]!;
    // Multi-line JSON (rare with the default callback): read until it parses.
    let parsed: Record<string, unknown> | undefined;
    for (let j = i; j < Math.min(lines.length, i + 200); j++) {
      try {
        parsed = JSON.parse(body) as Record<string, unknown>;
        break;
      } catch {
        body += `\n${lines[j + 1] ?? ''}`;
      }
    }
    const unreachable = m[5] === 'UNREACHABLE' || parsed?.unreachable === true;
    problems.push({
      ...(play === undefined ? {} : { play }),
      host: m[2]!,
      via: m[3],
      task,
      kind: unreachable ? 'unreachable' : 'failed',
      item: m[4],
      message: problemMessage(parsed, m[6]!),
    });
  }
  return problems;
}

/** Job events as the runner's awx_display callback writes them, from default-callback text (`PLAY [name]` lines: play starts, and the play of each failure). */
export function eventsFromText(stdout: string): Array<Record<string, unknown>> {
  const events: Array<Record<string, unknown>> = [{ event: 'playbook_on_start', counter: 1, event_data: {} }];
  for (const m of stdout.matchAll(/^PLAY \[(.*)\] \*+/gm))
    events.push({ event: 'playbook_on_play_start', counter: events.length + 1, event_data: { play: m[1]!, name: m[1]! } });
  for (const p of parseProblems(stdout)) {
    const [role, task] = p.task.includes(' : ') ? p.task.split(' : ', 2) : [undefined, p.task];
    events.push({
      event: p.kind === 'unreachable' ? 'runner_on_unreachable' : 'runner_on_failed',
      counter: events.length + 1,
      event_data: {
        ...(p.play === undefined ? {} : { play: p.play }),
        host: p.host,
        task,
        ...(role ? { role } : {}),
        ignore_errors: null,
        res: {
          // A loop's failure: the result of the item that failed, as the runner's events carry it.
          ...(p.item === undefined ? { msg: p.message } : { msg: 'One or more items failed', results: [{ failed: true, item: p.item, msg: p.message }] }),
          ...(p.via ? { _ansible_delegated_vars: { ansible_delegated_host: p.via } } : {}),
          ...(p.kind === 'unreachable' ? { unreachable: true } : {}),
        },
      },
    });
  }
  const recap = parseRecap(stdout);
  if (Object.keys(recap).length) {
    const by = (k: keyof (typeof recap)[string]) =>
      Object.fromEntries(
        Object.entries(recap)
          .filter(([, s]) => s[k])
          .map(([h, s]) => [h, s[k]]),
      );
    events.push({
      event: 'playbook_on_stats',
      counter: events.length + 1,
      event_data: {
        ok: by('ok'),
        changed: by('changed'),
        dark: by('unreachable'),
        failures: by('failed'),
        skipped: by('skipped'),
        rescued: by('rescued'),
        ignored: by('ignored'),
        processed: Object.fromEntries(Object.keys(recap).map((h) => [h, 1])),
      },
    });
  }
  return events;
}

export function fakeRunner(rows: FakeExecRow[]): Exec & { calls: Call[]; runnerCalls: Call[] } {
  const inner = fakeExec(rows);
  const calls: Call[] = [];
  const runnerCalls: Call[] = [];
  const fn = (async (file: string, args: readonly string[], opts?: ExecOptions) => {
    if (file !== 'ansible-runner' || args[0] !== 'run') {
      calls.push({ file, args: [...args], opts });
      return inner(file, args, opts);
    }
    runnerCalls.push({ file, args: [...args], opts });
    const pdd = args[1]!;
    const ident = option(args, '--ident')!;
    const p = option(args, '-p')!;
    const playbook = isAbsolute(p) ? p : join(option(args, '--project-dir')!, p);
    const extravarsFile = join(pdd, 'env', 'extravars');
    const extravars = readFileSync(extravarsFile, 'utf8');
    let cmdline: string[] = [];
    try {
      cmdline = readFileSync(join(pdd, 'env', 'cmdline'), 'utf8')
        .split(/\s+/)
        .filter(Boolean);
    } catch {
      // no env/cmdline: no extra flags
    }
    const limit = option(args, '--limit');
    const apArgs = [
      '-i',
      option(args, '--inventory')!,
      '-e',
      `@${extravarsFile}`,
      '-e',
      JSON.stringify(JSON.parse(extravars)),
      ...(limit ? ['--limit', limit] : []),
      ...cmdline,
      playbook,
    ];
    calls.push({ file: 'ansible-playbook', args: apArgs, opts });
    // The inner table sees the ansible-playbook command; its output is what the runner prints.
    const { onOutput, ...rest } = opts ?? {};
    const r = await inner('ansible-playbook', apArgs, rest);
    const art = join(pdd, 'artifacts', ident);
    mkdirSync(join(art, 'job_events'), { recursive: true });
    if (!r.failedToStart) {
      for (const e of eventsFromText(r.stdout)) writeFileSync(join(art, 'job_events', `${e.counter}-fake.json`), JSON.stringify({ ...e, runner_ident: ident }));
    }
    writeFileSync(join(art, 'stdout'), r.stdout);
    writeFileSync(join(art, 'rc'), String(r.exitCode));
    writeFileSync(join(art, 'status'), r.exitCode === 0 ? 'successful' : 'failed');
    writeFileSync(
      join(art, 'command'),
      JSON.stringify({
        command: ['ansible-playbook', ...apArgs.filter((_, i) => i !== 5 && i !== 4)],
        cwd: option(args, '--project-dir'),
        env: opts?.env ?? {},
      }),
    );
    if (onOutput && r.stdout) onOutput(r.stdout);
    return r;
  }) as Exec & { calls: Call[]; runnerCalls: Call[] };
  fn.calls = calls;
  fn.runnerCalls = runnerCalls;
  return fn;
}

/**
 * What preflight.yml prints when the inventory check passes and the ingress and the frontend
 * answer: its three plays (names as in precheck.yml and host-facts.yml), `facts` (host-facts.yml's
 * EW_HOST/EW_HOSTKEY lines) in the last one, and the recap.
 */
export function preflightOutput(facts = '', reach: string[] = ['ingress', 'fe1']): string {
  const recapLine = (h: string, ok: number) => `${h.padEnd(27)}: ok=${ok}    changed=0    unreachable=0    failed=0    skipped=0    rescued=0    ignored=0`;
  return [
    'PLAY [Check the inventory] ***',
    'PLAY [Reach the ingress and the frontend over SSH] ***',
    ...reach.map((h) => `ok: [${h}]`),
    "PLAY [Read each mesh host's OS and FRR] ***",
    facts,
    'PLAY RECAP ***',
    recapLine('localhost', 5),
    ...reach.map((h) => recapLine(h, 1)),
    '',
  ].join('\n');
}
