// `npm run example <name> [args]`: builds first (npm's preexample), then runs examples/<name>.mjs
// with the remaining arguments, e.g. `npm run example alphabet all`, `npm run example -- airline
// --look-back 3`. Without a name, lists the examples.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const names = readdirSync(here).filter((f) => f.endsWith('.mjs') && f !== 'run.mjs').map((f) => f.slice(0, -4));
const [name, ...args] = process.argv.slice(2);
if (!name || !names.includes(name)) {
  console.error(`${name ? `no example '${name}'. ` : ''}Examples: ${names.join(', ')}\nUsage: npm run example <name> [args] (see examples/README.md)`);
  process.exit(name ? 2 : 0);
}
const r = spawnSync(process.execPath, [`${here}${name}.mjs`, ...args], { stdio: 'inherit' });
process.exit(r.status ?? 1);
