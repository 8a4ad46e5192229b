/** The frontend and the ingress on the control subnet, and the frontend's SSH path. */
import { contains, isIpv4 } from '../net.js';
import { shown } from '../printable.js';
import type { Section } from './section.js';

/** Each hop user@host[:port]; neither user nor host may start with "-" (ssh would read an option). */
const HOP = /^([A-Za-z_][A-Za-z0-9._-]*@)?[A-Za-z0-9.:_[\]][A-Za-z0-9.:_[\]-]*(:\d+)?$/;

export const frontend: Section = ({ s, err, warn, found: { control } }) => {
  if (control && s.frontend.address && isIpv4(s.frontend.address) && !contains(control, s.frontend.address)) {
    warn('frontend.address', `frontend.address ${s.frontend.address} is outside control_subnet ${s.control_subnet}: check both values.`);
  }
  if (control && s.ingress.control_ip && !contains(control, s.ingress.control_ip)) {
    err('ingress.control_ip', `ingress.control_ip ${s.ingress.control_ip} is outside control_subnet ${s.control_subnet}: use an address inside it.`);
  }
  const pj = s.frontend.proxy_jump;
  if (!['ingress', 'none'].includes(pj) && !pj.split(',').every((h) => HOP.test(h))) {
    err('frontend.proxy_jump', `frontend.proxy_jump ${shown(pj)} is not "ingress", "none" or user@host[:port]: use one of those forms.`);
  }
};
