/**
 * The last verify as Prometheus text (exposition format 0.0.4) for
 * node_exporter's textfile collector: one family per metric, HELP and TYPE
 * before its samples, samples of a family together, label values escaped,
 * no timestamps (the collector refuses them), a final newline. Values are in
 * base units (seconds, bytes). Writing it atomically is the adapter's job.
 */
import type { OverlayFacts } from './observed.js';
import type { VerifyReport } from './verify.js';

export const METRIC_PREFIX = 'edge_wizard_';

/** Whether `text` is a textfile renderPrometheus wrote (its first family), or empty: the only files `verify --prometheus` replaces. */
export function isOurTextfile(text: string): boolean {
  return text.trim() === '' || text.startsWith(`# HELP ${METRIC_PREFIX}verify_success `);
}

type Labels = Record<string, string>;

interface Family {
  name: string;
  help: string;
  samples: Array<{ labels: Labels; value: number }>;
}

/** Label value escaping of the text format: backslash, double quote and line feed. */
export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** HELP text escaping: backslash and line feed. */
export function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** Go's ParseFloat spellings the format takes: +Inf, -Inf, NaN, else the shortest decimal. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

function renderFamily(f: Family): string {
  if (!METRIC_NAME.test(f.name)) throw new Error(`not a metric name: ${f.name}`);
  const lines = [`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} gauge`];
  for (const s of f.samples) {
    const labels = Object.entries(s.labels)
      .map(([k, v]) => {
        if (!LABEL_NAME.test(k) || k.startsWith('__')) throw new Error(`not a label name: ${k}`);
        return `${k}="${escapeLabelValue(v)}"`;
      })
      .join(',');
    lines.push(`${f.name}${labels ? `{${labels}}` : ''} ${formatValue(s.value)}`);
  }
  return lines.join('\n');
}

export interface PrometheusInput {
  scenario: string;
  facts: OverlayFacts;
  report: VerifyReport;
  /** When the verify ran, epoch seconds (a sample value, not a timestamp). */
  finishedAt: number;
  /** Host -> cluster name ('' for the ingress). */
  clusterOf?: (host: string) => string;
}

/** Every metric of one verify run, as textfile-collector content. */
export function renderPrometheus(input: PrometheusInput): string {
  const { facts, report } = input;
  const sc = { scenario: input.scenario };
  const host = (h: string) => ({ ...sc, host: h });
  const b = (x: boolean) => (x ? 1 : 0);
  const fam = (name: string, help: string, samples: Family['samples']): Family => ({ name: `${METRIC_PREFIX}${name}`, help, samples });
  const families: Family[] = [
    fam('verify_success', 'Whether every check of the last edge-wizard verify passed (1) or not (0).', [{ labels: sc, value: b(report.ok) }]),
    fam('verify_checks', 'Checks of the last verify, by result.', [
      { labels: { ...sc, result: 'passed' }, value: report.checks.filter((c) => c.ok).length },
      { labels: { ...sc, result: 'failed' }, value: report.checks.filter((c) => !c.ok).length },
    ]),
    fam('verify_last_run_timestamp_seconds', 'When the last verify finished, seconds since the epoch.', [{ labels: sc, value: input.finishedAt }]),
    fam(
      'host_answered',
      'Whether the host returned its overlay state to the last verify.',
      facts.hosts.map((h) => ({ labels: { ...host(h.host), cluster: input.clusterOf?.(h.host) ?? '', reflector: String(h.reflector) }, value: b(h.answered) })),
    ),
    fam(
      'wireguard_up',
      'Whether wg show worked on the host (wg-quick@wg0 running).',
      facts.hosts.filter((h) => h.wireguard_up !== undefined).map((h) => ({ labels: host(h.host), value: b(Boolean(h.wireguard_up)) })),
    ),
    fam(
      'wireguard_mtu_bytes',
      'WireGuard interface MTU planned for the host.',
      facts.hosts.filter((h) => h.mtu !== undefined).map((h) => ({ labels: host(h.host), value: h.mtu! })),
    ),
    fam(
      'bgp_session_up',
      "Whether the host's EVPN session on the route reflector is Established.",
      facts.bgp.map((s) => ({ labels: { ...host(s.host), reflector: s.reflector, address: s.address }, value: b(s.up) })),
    ),
    fam(
      'bgp_session_state',
      "The host's EVPN session state on the route reflector (one series per session, labelled with FRR's state or absent; value 1).",
      facts.bgp.map((s) => ({ labels: { ...host(s.host), reflector: s.reflector, state: s.state }, value: 1 })),
    ),
    fam(
      'bgp_prefixes_received',
      'EVPN prefixes the route reflector received from the host.',
      facts.bgp
        .filter((s) => s.prefixes_received !== undefined)
        .map((s) => ({ labels: { ...host(s.host), reflector: s.reflector }, value: s.prefixes_received! })),
    ),
    fam(
      'bfd_session_up',
      'Whether the BFD session from the host to the peer is up.',
      facts.bfd.map((s) => ({ labels: { ...host(s.host), peer: s.peer, address: s.address }, value: b(s.up) })),
    ),
    fam(
      'bfd_detect_multiplier',
      'BFD detect multiplier of the session.',
      facts.bfd.filter((s) => s.detect_multiplier !== undefined).map((s) => ({ labels: { ...host(s.host), peer: s.peer }, value: s.detect_multiplier! })),
    ),
    fam(
      'bfd_receive_interval_seconds',
      'BFD receive interval of the session.',
      facts.bfd
        .filter((s) => s.receive_interval_ms !== undefined)
        .map((s) => ({ labels: { ...host(s.host), peer: s.peer }, value: s.receive_interval_ms! / 1000 })),
    ),
    fam(
      'bfd_transmit_interval_seconds',
      'BFD transmit interval of the session.',
      facts.bfd
        .filter((s) => s.transmit_interval_ms !== undefined)
        .map((s) => ({ labels: { ...host(s.host), peer: s.peer }, value: s.transmit_interval_ms! / 1000 })),
    ),
    fam(
      'wireguard_handshake_age_seconds',
      'Seconds since the latest WireGuard handshake with the peer, seen from the host (+Inf: never, or the peer is unknown there).',
      facts.handshakes.map((h) => ({ labels: { ...host(h.host), peer: h.peer }, value: h.age_seconds ?? Infinity })),
    ),
    fam(
      'mtu_probe_success',
      "Whether a don't-fragment ping of the WireGuard MTU from the host reached the peer.",
      facts.mtu.map((m) => ({ labels: { ...host(m.host), peer: m.peer }, value: b(m.ok) })),
    ),
    fam(
      'mtu_probe_bytes',
      "Size of the don't-fragment probe (the WireGuard MTU).",
      facts.mtu.map((m) => ({ labels: { ...host(m.host), peer: m.peer }, value: m.mtu })),
    ),
  ];
  // A family without samples is left out (HELP and TYPE alone say nothing).
  return `${families
    .filter((f) => f.samples.length)
    .map(renderFamily)
    .join('\n')}\n`;
}
