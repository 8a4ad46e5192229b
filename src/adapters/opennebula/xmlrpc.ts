/**
 * A small XML-RPC client for oned (OpenNebula's `one.*` API) over node:http.
 *
 * Protocol: XML-RPC spec (methodCall / methodResponse, <int>, <boolean>,
 * <string>, <array>, <struct>, <fault>). OpenNebula conventions, from
 * OpenNebula/docs source/integration_and_development/system_interfaces/api.rst
 * (branches one-6.8 and master): every method takes the session string
 * "<username>:<password>" first, and every response is an array
 * [success: boolean, result-or-error-message, error code: int, ...].
 *
 * The session string is never part of an error message, a log line or a
 * dry-run listing: `OneClient.call` takes the parameters after the session.
 */
import http from 'node:http';
import https from 'node:https';
import { XMLParser } from 'fast-xml-parser';

/** A bigint is sent as <i8> (oned ends its failure arrays with one). */
export type XmlRpcValue = string | number | bigint | boolean | XmlRpcValue[] | { [key: string]: XmlRpcValue };

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function encodeValue(v: XmlRpcValue): string {
  if (typeof v === 'string') return `<value><string>${escapeXml(v)}</string></value>`;
  if (typeof v === 'boolean') return `<value><boolean>${v ? 1 : 0}</boolean></value>`;
  if (typeof v === 'bigint') return `<value><i8>${v}</i8></value>`;
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new TypeError(`XML-RPC <int> needs an integer, got ${v}`);
    return `<value><int>${v}</int></value>`;
  }
  if (Array.isArray(v)) return `<value><array><data>${v.map(encodeValue).join('')}</data></array></value>`;
  const members = Object.entries(v).map(([k, x]) => `<member><name>${escapeXml(k)}</name>${encodeValue(x)}</member>`);
  return `<value><struct>${members.join('')}</struct></value>`;
}

export function encodeCall(method: string, params: XmlRpcValue[]): string {
  const ps = params.map((p) => `<param>${encodeValue(p)}</param>`).join('');
  return `<?xml version="1.0"?>\n<methodCall><methodName>${escapeXml(method)}</methodName><params>${ps}</params></methodCall>\n`;
}

export function encodeResponse(values: XmlRpcValue[]): string {
  // oned answers with one param holding the result array.
  return `<?xml version="1.0"?>\n<methodResponse><params><param>${encodeValue(values)}</param></params></methodResponse>\n`;
}

export function encodeFault(code: number, message: string): string {
  return `<?xml version="1.0"?>\n<methodResponse><fault>${encodeValue({ faultCode: code, faultString: message })}</fault></methodResponse>\n`;
}

const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: false,
  isArray: (name) => ['param', 'value', 'member'].includes(name),
});

type Node = Record<string, unknown>;

function onlyElements(o: Node): Node {
  // Drop whitespace-only text between elements (trimValues is off to keep string content intact).
  return Object.fromEntries(Object.entries(o).filter(([k, v]) => !(k === '#text' && typeof v === 'string' && v.trim() === '')));
}

function decodeValue(raw: unknown): XmlRpcValue {
  if (typeof raw === 'string') return raw; // <value>text</value> is a string
  if (raw === undefined || raw === null) return '';
  const node = onlyElements(raw as Node);
  const [type] = Object.keys(node);
  const body = node[type as string];
  switch (type) {
    case undefined:
      return '';
    case 'string':
      return typeof body === 'string' ? body : '';
    case 'int':
    case 'i4':
    case 'i8': {
      const n = Number(String(body).trim());
      if (!Number.isInteger(n)) throw new XmlRpcProtocolError(`bad <${type}> value "${String(body)}"`);
      return n;
    }
    case 'double':
      return Number(String(body).trim());
    case 'boolean': {
      const s = String(body).trim();
      if (s !== '0' && s !== '1') throw new XmlRpcProtocolError(`bad <boolean> value "${s}"`);
      return s === '1';
    }
    case 'array': {
      const data = onlyElements((body as Node) ?? {}).data;
      const values = data && typeof data === 'object' ? ((data as Node).value as unknown[] | undefined) : undefined;
      return (values ?? []).map(decodeValue);
    }
    case 'struct': {
      const members = (onlyElements((body as Node) ?? {}).member as Node[] | undefined) ?? [];
      const out: Record<string, XmlRpcValue> = {};
      for (const m of members) out[String(m.name).trim()] = decodeValue((m.value as unknown[])[0]);
      return out;
    }
    case '#text':
      return String(body);
    default:
      throw new XmlRpcProtocolError(`unsupported XML-RPC type <${type}>`);
  }
}

export class XmlRpcProtocolError extends Error {}

export class XmlRpcFault extends Error {
  constructor(
    readonly faultCode: number,
    readonly faultString: string,
  ) {
    super(`XML-RPC fault ${faultCode}: ${faultString}`);
  }
}

/** Parses a methodCall: used by the stand-in oned in the tests. */
export function decodeCall(xml: string): { method: string; params: XmlRpcValue[] } {
  const doc = parser.parse(xml) as Node;
  const call = doc.methodCall as Node | undefined;
  if (!call || typeof call.methodName !== 'string') throw new XmlRpcProtocolError('not an XML-RPC methodCall');
  const params = ((call.params as Node | undefined)?.param as Node[] | undefined) ?? [];
  return { method: call.methodName.trim(), params: params.map((p) => decodeValue((p.value as unknown[])[0])) };
}

/** Parses a methodResponse: the values, or throws XmlRpcFault. */
export function decodeResponse(xml: string): XmlRpcValue {
  const doc = parser.parse(xml) as Node;
  const resp = doc.methodResponse as Node | undefined;
  if (!resp) throw new XmlRpcProtocolError('not an XML-RPC methodResponse');
  if (resp.fault) {
    const f = decodeValue(((resp.fault as Node).value as unknown[])[0]) as Record<string, XmlRpcValue>;
    throw new XmlRpcFault(Number(f.faultCode), String(f.faultString));
  }
  const params = ((resp.params as Node | undefined)?.param as Node[] | undefined) ?? [];
  if (params.length !== 1) throw new XmlRpcProtocolError('methodResponse must hold exactly one param');
  return decodeValue(((params[0] as Node).value as unknown[])[0]);
}

/** Sends one request body and resolves to the response body. Tests pass their own. */
export type Transport = (body: string) => Promise<string>;

/** The path to post to: the endpoint's, or oned's /RPC2 when it has none (`http://host:2633`). */
export function endpointPath(url: URL): string {
  return url.pathname && url.pathname !== '/' ? url.pathname : '/RPC2';
}

/**
 * POSTs to oned over http:// or https:// (TLS in front of oned, e.g. the reverse proxy OpenNebula's
 * docs put before it; the certificate is checked as Node checks any, NODE_EXTRA_CA_CERTS included).
 */
export function httpTransport(endpoint: string, timeoutMs = 30000, tlsOptions: { ca?: string | Buffer } = {}): Transport {
  const url = new URL(endpoint);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`only http:// and https:// endpoints are supported (got ${url.protocol})`);
  const tls = url.protocol === 'https:';
  const path = `${endpointPath(url)}${url.search}`;
  return (body) =>
    new Promise((resolve, reject) => {
      const req = (tls ? https : http).request(
        {
          hostname: url.hostname.replace(/^\[|\]$/g, ''),
          port: url.port || (tls ? 443 : 80),
          ...(tls && tlsOptions.ca ? { ca: tlsOptions.ca } : {}),
          path,
          method: 'POST',
          headers: { 'Content-Type': 'text/xml', 'Content-Length': Buffer.byteLength(body) },
          timeout: timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if (res.statusCode !== 200) reject(new Error(`oned answered HTTP ${res.statusCode} at ${endpoint}`));
            else resolve(text);
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer from oned at ${endpoint} within ${timeoutMs / 1000}s`)));
      req.on('error', reject);
      req.end(body);
    });
}

/** OpenNebula error codes (api.rst, "The Error Code will contain one of the following values"). */
export const ONE_ERROR_CODES: Record<number, string> = {
  0x0000: 'SUCCESS',
  0x0100: 'AUTHENTICATION',
  0x0200: 'AUTHORIZATION',
  0x0400: 'NO_EXISTS',
  0x0800: 'ACTION',
  0x1000: 'XML_RPC_API',
  0x2000: 'INTERNAL',
  0x4000: 'ALLOCATE',
  0x8000: 'LOCKED',
};

/** oned answered [false, message, code, ...]. */
export class OneError extends Error {
  constructor(
    readonly method: string,
    readonly oneMessage: string,
    readonly code: number,
  ) {
    super(`oned refused ${method}: ${oneMessage} (${ONE_ERROR_CODES[code] ?? `code ${code}`})`);
  }
}

export interface OneCall {
  method: string;
  /** Parameters after the session string. */
  params: XmlRpcValue[];
}

export interface OneClient {
  /** Calls `method` with the session string prepended; resolves to the result (second element). */
  call(method: string, ...params: XmlRpcValue[]): Promise<XmlRpcValue>;
}

export function createOneClient(opts: { transport: Transport; user: string; password: string; onCall?: (c: OneCall) => void }): OneClient {
  const session = `${opts.user}:${opts.password}`;
  return {
    async call(method, ...params) {
      opts.onCall?.({ method, params });
      const text = await opts.transport(encodeCall(method, [session, ...params]));
      const value = decodeResponse(text);
      if (!Array.isArray(value) || value.length < 2 || typeof value[0] !== 'boolean') {
        throw new XmlRpcProtocolError(`${method}: oned's answer is not [success, result, code]`);
      }
      if (!value[0]) throw new OneError(method, String(value[1]), typeof value[2] === 'number' ? value[2] : -1);
      return value[1] as XmlRpcValue;
    },
  };
}
