/**
 * Writing the draft back into the user's scenario file: only changed values are
 * set (core/yaml-patch.ts, the project's one YAML patcher), so comments and
 * layout of everything else survive.
 */
import { Document } from 'yaml';
import { STRINGIFY, updateYaml as patch } from '../../core/yaml-patch.js';

/** The document text after applying `after` over `before` (the data `text` held). */
export function updateYaml(text: string, after: Record<string, unknown>): string {
  return patch(text, after, newYaml);
}

export function newYaml(data: Record<string, unknown>): string {
  const doc = new Document(data);
  doc.commentBefore =
    ' yaml-language-server: $schema=https://edge-wizard.dev/schema/edge-wizard.schema.json\n Written by `edge-wizard init`; run it again to add clusters or hosts (comments you add survive).';
  return doc.toString(STRINGIFY);
}
