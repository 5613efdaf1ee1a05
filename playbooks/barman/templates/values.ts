// Checks shared by the templates: they get values that the config schema has already
// validated, and refuse anything that would still produce a wrong or unsafe file.

export class TemplateError extends Error {
  override name = 'TemplateError';
}

export function absolutePath(what: string, p: string): string {
  if (!p.startsWith('/') || /[\s"'\0]/.test(p) || /[^\x21-\x7e]/.test(p)) {
    throw new TemplateError(`${what} must be an absolute path without whitespace, quotes or non-ASCII: ${JSON.stringify(p)}`);
  }
  return p;
}

export function word(what: string, v: string, re = /^[a-z0-9][a-z0-9_-]*$/): string {
  if (!re.test(v)) throw new TemplateError(`${what} has an unexpected value ${JSON.stringify(v)}`);
  return v;
}

export function integer(what: string, n: number, min: number): string {
  if (!Number.isInteger(n) || n < min) throw new TemplateError(`${what} must be an integer >= ${min}, got ${n}`);
  return String(n);
}

/** Barman boolean in the on/off spelling of Barman's own documentation. */
export function onOff(b: boolean): string {
  return b ? 'on' : 'off';
}

/** Barman server names: what SECTION_RE allows, minus Barman's reserved names. */
export function serverName(name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(name) || name === 'all' || name === 'barman') {
    throw new TemplateError(`invalid Barman server name ${JSON.stringify(name)}`);
  }
  return name;
}
