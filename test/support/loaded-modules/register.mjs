// Preloaded with `node --import` (NODE_OPTIONS): every module the process loads is appended to
// $SPARK_TEST_LOADED_LOG, one URL or path a line, so a black-box test can see which files a command
// loaded: ES modules through the loader hook (hook.mjs), CommonJS files (spark's bin dist/spark.cjs
// and what it requires, e.g. dist/kube-client.cjs) through the CommonJS loader below.
import { appendFileSync } from 'node:fs';
import Module, { register } from 'node:module';

register('./hook.mjs', import.meta.url);

const load = Module._load;
Module._load = function (request, parent, isMain) {
  const exports = load.call(this, request, parent, isMain);
  const log = process.env.SPARK_TEST_LOADED_LOG;
  if (log && !Module.isBuiltin(request)) appendFileSync(log, `${Module._resolveFilename(request, parent, isMain)}\n`);
  return exports;
};
