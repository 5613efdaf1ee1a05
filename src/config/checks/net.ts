// Host names and addresses.
import { isIP } from 'node:net';

/** TPA's instance name rule (platforms/common/validate.yml). */
export const TPA_HOSTNAME = /^[a-z0-9][a-z0-9-]*[a-z0-9]$/;
const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export function isHostname(name: string): boolean {
  return name.length <= 63 && TPA_HOSTNAME.test(name);
}

/** A fully-qualified name, allowed for bare instances. */
export function isFqdn(name: string): boolean {
  if (name.length > 253 || !name.includes('.')) return false;
  const labels = name.split('.');
  return labels.every((l) => LABEL.test(l)) && TPA_HOSTNAME.test(labels[0] ?? '');
}

export function isIpAddress(s: string): boolean {
  return isIP(s) !== 0;
}

/** Something ssh can connect to: an IP literal or a DNS name (any case). */
export function isAddress(s: string): boolean {
  if (isIpAddress(s)) return true;
  const lower = s.toLowerCase();
  return lower.length <= 253 && lower.split('.').every((l) => LABEL.test(l));
}
