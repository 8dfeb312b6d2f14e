/**
 * Shell completion as a user gets it: the script `spark completion SHELL` prints, loaded into the
 * real bash, zsh and fish, with `spark` on PATH; spark names come from the cache list/create/delete keep.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runSpark, SPARK_BIN } from '../support/cli.js';
import { tempData, type TempData } from '../local/helpers.js';

let data: TempData;
let env: Record<string, string>;
let bin: string;

before(async () => {
  data = tempData();
  bin = join(data.base, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'spark'), `#!/bin/sh\nexec "${process.execPath}" "${SPARK_BIN}" "$@"\n`);
  chmodSync(join(bin, 'spark'), 0o755);
  env = {
    HOME: data.base, SPARK_CONFIG: join(data.base, 'none.json'), KUBECONFIG: join(data.base, 'no-kube'),
    SPARK_DATA_DIR: data.dataDir, SPARK_RUNTIME: 'local', XDG_CACHE_HOME: join(data.base, 'cache'),
    PATH: `${bin}:${process.env.PATH}`,
  };
  for (const name of ['alpha', 'beta']) {
    const created = await runSpark(['create', name, '--no-shell'], { env });
    assert.equal(created.code, 0, created.stderr);
  }
});

after(async () => data.cleanup());

/** bash's completion for a command line ending at the cursor: the generated function fills COMPREPLY. */
function bashComplete(line: string): string[] {
  const script = `source <(spark completion bash)
read -ra COMP_WORDS <<< "$LINE"
[[ "$LINE" == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$(( \${#COMP_WORDS[@]} - 1 ))
COMP_LINE="$LINE"; COMP_POINT=\${#LINE}
fn=$(complete -p spark | sed -E 's/.* -F ([^ ]+) .*/\\1/')
"$fn" spark "\${COMP_WORDS[COMP_CWORD]}" "\${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\\n' "\${COMPREPLY[@]}"`;
  const result = spawnSync('bash', ['--norc', '--noprofile', '-c', script], { env: { ...env, LINE: line }, encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout.split('\n').filter(Boolean).sort();
}

test('bash: spark cr<TAB> completes the command, spark delete <TAB> the sparks', () => {
  assert.deepEqual(bashComplete('spark cr'), ['create']);
  assert.deepEqual(bashComplete('spark delete '), ['alpha', 'beta']);
  assert.deepEqual(bashComplete('spark rm a'), ['alpha'], 'aliases complete like their command');
  assert.deepEqual(bashComplete('spark delete alpha '), ['beta'], 'a name already given is not offered again');
  assert.deepEqual(bashComplete('spark status '), ['alpha', 'beta']);
  assert.deepEqual(bashComplete('spark shell alpha '), [], 'after the name comes the user\'s own command');
  assert.deepEqual(bashComplete('spark create '), [], 'a new spark\'s name is not one of the existing ones');
});

test('bash: flags (the command\'s and the global ones) and option values', () => {
  const flags = bashComplete('spark delete --');
  for (const flag of ['--yes', '--keep-db', '--json', '--namespace', '--help']) assert.ok(flags.includes(flag), `${flag} in ${flags.join(' ')}`);
  assert.deepEqual(bashComplete('spark list -o '), ['json', 'name', 'wide', 'yaml']);
  assert.deepEqual(bashComplete('spark list --output w'), ['wide']);
  assert.deepEqual(bashComplete('spark create --runtime '), ['kubernetes', 'local']);
  assert.deepEqual(bashComplete('spark completion '), ['bash', 'fish', 'zsh']);
  assert.deepEqual(bashComplete('spark local s'), ['status', 'stop']);
  assert.deepEqual(bashComplete('spark -n spark del'), ['delete'], 'a global flag\'s value is skipped');
});

test('the names come from the cache: delete forgets a name, list writes them all, TAB never asks a server', async () => {
  const deleted = await runSpark(['delete', 'beta', '--yes'], { env });
  assert.equal(deleted.code, 0, deleted.stderr);
  assert.deepEqual(bashComplete('spark delete '), ['alpha']);

  rmSync(join(env.XDG_CACHE_HOME!, 'spark'), { recursive: true, force: true });
  assert.deepEqual(bashComplete('spark delete '), []);
  assert.equal((await runSpark(['list'], { env })).code, 0);
  assert.deepEqual(bashComplete('spark delete '), ['alpha']);

  // With the embedded server stopped (and kept so: nothing may start it), TAB still answers from the cache.
  assert.equal((await runSpark(['local', 'stop'], { env })).code, 0);
  assert.deepEqual(bashComplete('spark status '), ['alpha']);
  const status = JSON.parse((await runSpark(['local', 'status', '--json'], { env })).stdout) as { running: boolean };
  assert.equal(status.running, false, 'completion did not start the embedded server');
});

test('zsh: the script defines the completion function and zsh offers what bash does', () => {
  const script = `autoload -U compinit && compinit -u -D
source <(spark completion zsh)
print -r -- "$_comps[spark]"
words=(spark cr); CURRENT=2
compadd() { shift; print -rl -- "$@"; }
_spark`;
  const result = spawnSync('zsh', ['-f', '-c', script], { env, encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  assert.deepEqual(result.stdout.split('\n').filter(Boolean), ['_spark', 'create']);
});

test('fish: complete -C offers commands and spark names', () => {
  const complete = (line: string): string[] => {
    const result = spawnSync('fish', ['--no-config', '-c', `spark completion fish | source; complete -C '${line}'`], { env, encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    return result.stdout.split('\n').filter(Boolean).map((l) => l.split('\t')[0]!).sort();
  };
  assert.deepEqual(complete('spark cr'), ['create']);
  assert.deepEqual(complete('spark delete '), ['alpha']);
});
