// The module loader hook registered by register.mjs (it runs on the loader's own thread).
import { appendFileSync } from 'node:fs';

export async function load(url, context, nextLoad) {
  if (process.env.SPARK_TEST_LOADED_LOG) appendFileSync(process.env.SPARK_TEST_LOADED_LOG, `${url}\n`);
  return nextLoad(url, context);
}
