/**
 * Redaction of secrets from anything shown or logged: one_pass values,
 * WireGuard private keys, Ansible Vault blocks, passwords in URLs/sessions.
 */
const RULES: Array<[RegExp, string]> = [
  [/^([ \t]*[-+ ]?[ \t]*one_pass:[ \t]*)(?!["']?\{\{)(\S.*)$/gm, '$1<redacted>'],
  [/^([ \t]*[-+ ]?[ \t]*PrivateKey[ \t]*=[ \t]*)(?!<)(\S.*)$/gm, '$1<redacted>'],
  [/\$ANSIBLE_VAULT;[^\n]*(\n\s*[0-9a-f]+)*/g, '$ANSIBLE_VAULT;<redacted>'],
  [/(oneadmin:)[^\s"'<]+/g, '$1<redacted>'],
];

export function redact(text: string, extraSecrets: string[] = []): string {
  let out = text;
  for (const [re, rep] of RULES) out = out.replace(re, rep);
  for (const s of extraSecrets) if (s && s.length >= 4) out = out.split(s).join('<redacted>');
  return out;
}
