// Writes schema/edge-wizard.schema.json from src/core/schema.ts (via dist/). Run: npm run schema
import { writeFileSync, mkdirSync } from 'node:fs';
import { scenarioSchema } from '../dist/core/schema.js';

mkdirSync('schema', { recursive: true });
writeFileSync('schema/edge-wizard.schema.json', `${JSON.stringify(scenarioSchema, null, 2)}\n`);
