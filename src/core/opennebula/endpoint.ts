/**
 * The `--endpoint` of `edge-wizard one` (and deploy's `--one-endpoint`): oned's XML-RPC URL.
 * Pure: the sentence for a value that cannot be one, and whether a plain-http one sends
 * `oneadmin:<password>` across a network (every XML-RPC call carries the session string).
 */
import ipaddr from 'ipaddr.js';

export interface EndpointCheck {
  url?: URL;
  /** One sentence naming the flag and the fix, when the value is unusable. */
  error?: string;
}

export function checkEndpoint(value: string, flag = '--endpoint'): EndpointCheck {
  if (value.trim() === '') {
    return {
      error: `${flag} is empty: give oned's XML-RPC URL (e.g. http://127.0.0.1:2633 or https://one.example.com/RPC2), or leave ${flag} out to reach oned through the SSH tunnel.`,
    };
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { error: `${flag} "${printable(value)}" is not a URL: write it like http://127.0.0.1:2633 or https://one.example.com/RPC2.` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return {
      error: `${flag} "${printable(value)}" uses ${url.protocol.replace(/:$/, '')}, but oned's XML-RPC is reached over http:// or https://: write it like https://one.example.com/RPC2.`,
    };
  }
  if (url.username || url.password) {
    return { error: `${flag} carries a user name or password: leave them out (edge-wizard signs in as oneadmin with opennebula.password).` };
  }
  if (!url.hostname) return { error: `${flag} "${printable(value)}" names no host: write it like http://127.0.0.1:2633.` };
  return { url };
}

/** 127.0.0.0/8, ::1, localhost: traffic that never leaves this machine. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (!ipaddr.isValid(h)) return false;
  const a = ipaddr.process(h); // an IPv4-mapped IPv6 address as its IPv4
  return a.range() === 'loopback';
}

/** The warning for a plain-http endpoint off this machine, or undefined. */
export function plainHttpWarning(url: URL): string | undefined {
  if (url.protocol !== 'http:' || isLoopbackHost(url.hostname)) return undefined;
  return `oned is reached at ${url.origin} over plain http: every call carries oneadmin's password in clear across the network; use an https:// endpoint (TLS in front of oned) or leave --endpoint out to go through the SSH tunnel.`;
}

function printable(v: string): string {
  const s = [...v].map((c) => (c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f ? '?' : c)).join('');
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
