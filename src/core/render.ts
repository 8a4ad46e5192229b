/**
 * Rendering to strings with nunjucks. Templates live in templates/ and are
 * shaped like their output; all the logic is in the plans passed to them.
 */
import nunjucks from 'nunjucks';
import { fileURLToPath } from 'node:url';

let env: nunjucks.Environment | undefined;

function environment(): nunjucks.Environment {
  if (!env) {
    const dir = fileURLToPath(new URL('../../templates/', import.meta.url));
    env = new nunjucks.Environment(new nunjucks.FileSystemLoader(dir, { noCache: false }), {
      autoescape: false,
      trimBlocks: true,
      lstripBlocks: true,
      throwOnUndefined: true,
    });
  }
  return env;
}

export function render(template: string, context: object): string {
  return environment().render(template, context);
}
