/**
 * Use case: update the scenario file from what provisioning left (OpenNebula 6.x
 * or 7.2+ `oneprovision show ID --json`, `ansible-inventory --list` of a OneForm
 * provision). The file is rewritten through the yaml Document API (comments
 * kept), only when the result is still a valid scenario.
 */
import { parse as parseYaml, parseDocument, stringify } from 'yaml';
import type { Effects } from '../adapters/effects.js';
import { UsageError, UserFacingError } from '../core/errors.js';
import type { Exec } from '../adapters/exec.js';
import { FrontendError, readFrontend } from '../adapters/frontend.js';
import { applyFrontendPlan, planFrontendImport, type FrontendChoices, type FrontendPlan } from '../core/import/frontend.js';
import { updateYaml } from '../core/yaml-patch.js';
import { mergeProvision, MergeError, type MergeResult } from '../core/import/merge.js';
import { detectFormat, ImportFormatError, parseProvision, type ImportFormat, type Provider, type Provisioned } from '../core/import/provision.js';
import { parseScenario, type Scenario } from '../core/index.js';
import { holdsPlainSecret } from '../core/inventory.js';
import { scenarioWriteMode } from '../adapters/scenario-file.js';

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
  const parsed = parseScenario(after, input.path);
  if (after === input.text) return { format: provisioned.format, provisioned, merge, changed: false };
  // Same mode (a 0600 file stays 0600); others lose access to a plain password.
  const mode = await scenarioWriteMode(input.path, holdsPlainSecret(parsed.scenario));
  await effects.writeFile(input.path, after, mode);
  return { format: provisioned.format, provisioned, merge, changed: true };
}

// --- import --from-frontend: every provision on the frontend, read over SSH -------------------

export interface FrontendImportRead {
  plan: FrontendPlan;
  provisions: Provisioned[];
  /** The read-only commands run on the frontend. */
  commands: string[];
}

/** Reads every provision on the frontend (read only) and plans the changes to the scenario. */
export async function readFrontendPlan(scenario: Scenario, exec: Exec): Promise<FrontendImportRead> {
  let read;
  try {
    read = await readFrontend(scenario, exec);
  } catch (e) {
    if (e instanceof FrontendError) throw new UserFacingError(e.message);
    throw e;
  }
  const provisions = read.shows.map((sh) => {
    try {
      // 6.x names a provision's hosts in onehost's pool; 7.2+ documents list them themselves.
      return parseProvision(sh.text, { hostsText: detectFormat(sh.text) === 'oneprovision-6' ? read.hostsText : undefined });
    } catch (e) {
      if (e instanceof ImportFormatError) throw new UserFacingError(`"oneprovision show ${sh.id} --json" on the frontend ${e.message}`);
      throw e;
    }
  });
  return { plan: planFrontendImport(scenario, provisions), provisions, commands: read.commands };
}

/** The scenario file's text after the plan (comments kept; must still be a valid scenario, else ValidationFailed). */
export function frontendImportText(path: string, text: string, plan: FrontendPlan, choices: FrontendChoices): string {
  const data = (parseYaml(text) ?? {}) as Record<string, unknown>;
  const after = updateYaml(text, applyFrontendPlan(data, plan, choices), (d) => stringify(d));
  parseScenario(after, path);
  return after;
}

/** Writes the plan into the scenario file (same mode), through the Effects (dry run records it). */
export async function applyFrontendImport(
  input: { path: string; text: string; plan: FrontendPlan; choices: FrontendChoices },
  effects: Effects,
): Promise<boolean> {
  const after = frontendImportText(input.path, input.text, input.plan, input.choices);
  if (after === input.text) return false;
  const mode = await scenarioWriteMode(input.path, holdsPlainSecret(parseScenario(after, input.path).scenario));
  await effects.writeFile(input.path, after, mode);
  return true;
}
