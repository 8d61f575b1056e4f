/** Writes rules/ruleset.schema.json and rules/cases.schema.json from the zod schemas (`npm run schema`); a test checks they are current. */
import { writeFileSync } from 'node:fs';
import { caseFileJsonSchema, ruleSetJsonSchema } from '../engine/index';

for (const [name, schema] of [
  ['ruleset.schema.json', ruleSetJsonSchema()],
  ['cases.schema.json', caseFileJsonSchema()],
] as const) {
  const file = new URL(`../rules/${name}`, import.meta.url);
  writeFileSync(file, `${JSON.stringify(schema, null, 2)}\n`);
  console.log(`wrote ${file.pathname}`);
}
