// Preloaded with `node --import` (NODE_OPTIONS): every module the process loads is appended to
// $SPARK_TEST_LOADED_LOG, one URL a line, so a black-box test can see which chunks a command loaded.
import { register } from 'node:module';

register('./hook.mjs', import.meta.url);
