// Bundles the page with esbuild: `node build.mjs [outdir]` (default dist/). The browser test
// builds into its own temporary directory.
import { build } from 'esbuild';
import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const outdir = resolve(process.argv[2] || join(here, 'dist'));
await mkdir(outdir, { recursive: true });
await build({
  entryPoints: [join(here, 'src/app.js')],
  bundle: true,
  minify: true,
  sourcemap: true,
  target: 'es2020',
  platform: 'browser',
  // amazon-cognito-identity-js reads Node's `global`; in a page that is `globalThis`.
  define: { global: 'globalThis' },
  outfile: join(outdir, 'app.js'),
  logLevel: 'warning',
});
await copyFile(join(here, 'index.html'), join(outdir, 'index.html'));
console.log(`built ${outdir}`);
