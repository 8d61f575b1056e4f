/** Writes rules/ruleset.schema.json from the zod schema (`npm run schema`); a test checks it is current. */
import { writeFileSync } from 'node:fs';
import { ruleSetJsonSchema } from '../engine/index';

const file = new URL('../rules/ruleset.schema.json', import.meta.url);
writeFileSync(file, `${JSON.stringify(ruleSetJsonSchema(), null, 2)}\n`);
console.log(`wrote ${file.pathname}`);
