/**
 * Use case: update the scenario file from what provisioning left (OpenNebula 6.x
 * or 7.2+ `oneprovision show ID --json`, `ansible-inventory --list` of a OneForm
 * provision). The file is rewritten through the yaml Document API (comments
 * kept), only when the result is still a valid scenario.
 */
import { stat } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import type { Effects } from '../adapters/effects.js';
import { UsageError } from '../core/errors.js';
import { mergeProvision, MergeError, type MergeResult } from '../core/import/merge.js';
import { ImportFormatError, parseProvision, type ImportFormat, type Provider, type Provisioned } from '../core/import/provision.js';
import { parseScenario, type Scenario } from '../core/index.js';

export type { ImportFormat } from '../core/import/provision.js';

export interface ImportInput {
  scenario: Scenario;
  /** The scenario file's path and its text as read. */
  path: string;
  text: string;
  /** The provisioning output (--from) and its name for messages. */
  from: { name: string; text: string };
  /** `onehost list --json` (oneprovision 6.x). */
  hostsText?: string;
  format?: ImportFormat;
  cluster?: string;
  /** Provider of a new cluster (--provider). */
  provider?: Provider;
  removeMissing: boolean;
}

export interface ImportOutcome {
  format: ImportFormat;
  provisioned: Provisioned;
  merge: MergeResult;
  /** False when the file already matched. */
  changed: boolean;
}

export async function importProvision(input: ImportInput, effects: Effects): Promise<ImportOutcome> {
  let provisioned: Provisioned;
  try {
    provisioned = parseProvision(input.from.text, { format: input.format, hostsText: input.hostsText });
  } catch (e) {
    if (e instanceof ImportFormatError) throw new UsageError(`--from ${input.from.name} ${e.message}`);
    throw e;
  }
  const doc = parseDocument(input.text);
  let merge: MergeResult;
  try {
    merge = mergeProvision(doc, input.scenario, provisioned, { cluster: input.cluster, provider: input.provider, removeMissing: input.removeMissing });
  } catch (e) {
    if (e instanceof MergeError) throw new UsageError(e.message);
    throw e;
  }
  // yaml keeps comments; it re-spaces inline comments to one space. No padding inside [flow] lists, as users write them.
  const after = doc.toString({ flowCollectionPadding: false });
  // The result must still be a valid scenario (ValidationFailed, exit 2, otherwise).
  parseScenario(after, input.path);
  if (after === input.text) return { format: provisioned.format, provisioned, merge, changed: false };
  const mode = (await stat(input.path)).mode & 0o777;
  await effects.writeFile(input.path, after, mode);
  return { format: provisioned.format, provisioned, merge, changed: true };
}
