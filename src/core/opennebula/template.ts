/**
 * OpenNebula template syntax (`ATTRIBUTE = "value"`, vectors `NAME = [ K = "v", ... ]`),
 * the form one.*.allocate accepts ("Syntax can be the usual attribute=value or XML",
 * OpenNebula/docs api.rst). Values are always quoted; `"` and `\` are escaped.
 */
export type OneTemplateValue = string | number | OneTemplateVector;
export interface OneTemplateVector {
  [key: string]: string | number;
}
/** Ordered list of attributes; a key may repeat (e.g. two NIC vectors). */
export type OneTemplate = Array<[string, OneTemplateValue]>;

function quote(v: string | number): string {
  return `"${String(v).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export function renderTemplate(t: OneTemplate): string {
  return t
    .map(([k, v]) => {
      if (typeof v === 'object') {
        const inner = Object.entries(v).map(([ik, iv]) => `  ${ik} = ${quote(iv)}`);
        return `${k} = [\n${inner.join(',\n')} ]`;
      }
      return `${k} = ${quote(v)}`;
    })
    .join('\n')
    .concat('\n');
}
