/**
 * The init script, tested as far as it runs without a cluster: shellcheck, then its functions
 * run by bash in temporary directories (the script only calls main when executed, not sourced).
 * Not run here: the steps that change the machine (creating the user, /etc, apt-get, sshd itself).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { INIT_SCRIPT } from '../../src/runtimes/kubernetes/init-script.js';

let dir: string;
let script: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'spark-init-'));
  script = join(dir, 'init.sh');
  writeFileSync(script, INIT_SCRIPT, { mode: 0o755 });
});
after(() => rmSync(dir, { recursive: true, force: true }));

function hasCommand(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
}

const me = `${process.getuid?.() ?? 0}:${process.getgid?.() ?? 0}`;
const whoami = execFileSync('id', ['-un'], { encoding: 'utf8' }).trim();

/** Runs `body` in bash after sourcing the script; the spark user is the current user. */
function run(body: string, env: Record<string, string | undefined> = {}, opts: { allowFail?: boolean } = {}) {
  // stdin ignored: bash reads ~/.bashrc when its stdin is a socket (node's pipes are), as if run by sshd.
  const result = spawnSync('bash', ['-c', `source "$1"; SPARK_USER=${whoami}\n${body}`, 'test', script], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH,
      HOME: dir,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: join(dir, 'gitconfig'),
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@example.com',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@example.com',
      ...env,
    },
  });
  if (!opts.allowFail) assert.equal(result.status, 0, `bash failed:\n${result.stdout}\n${result.stderr}`);
  return result;
}

function freshHome(name: string): string {
  const home = join(dir, name);
  mkdirSync(home, { recursive: true });
  return home;
}

const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);

/** A bare repository with one commit holding `files`, as a file:// URL. */
function bareRepo(name: string, files: Record<string, string>): string {
  const work = join(dir, `${name}-work`);
  mkdirSync(work, { recursive: true });
  for (const [file, content] of Object.entries(files)) writeFileSync(join(work, file), content);
  const bare = join(dir, `${name}.git`);
  run(`cd "${work}" && git init -q -b main && git add -A && git commit -qm init && git clone -q --bare . "${bare}"`);
  return `file://${bare}`;
}

test('the init script is shellcheck-clean (shellcheck is required: apt-get install shellcheck)', () => {
  assert.ok(hasCommand('shellcheck'), 'shellcheck is not installed: install it (Debian: apt-get install -y shellcheck); this test does not skip');
  const result = spawnSync('shellcheck', ['--shell=bash', script], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stdout + result.stderr);
});

test('sourcing the script defines its functions and runs nothing', () => {
  const r = run('declare -F main clone_repo write_env_files install_authorized_keys >/dev/null && echo defined');
  assert.equal(r.stdout.trim(), 'defined');
  assert.equal(r.stderr, '');
});

test('executed as non-root it refuses clearly before touching anything', () => {
  // The tests run as root on our machines: run the script as nobody (65534) from a directory it can read.
  const asRoot = process.getuid?.() === 0;
  const copy = asRoot ? join(mkdtempSync(join(tmpdir(), 'spark-nonroot-')), 'init.sh') : script;
  if (asRoot) {
    chmodSync(join(copy, '..'), 0o755);
    writeFileSync(copy, INIT_SCRIPT, { mode: 0o755 });
  }
  const r = spawnSync('bash', [copy], { encoding: 'utf8', env: { PATH: process.env.PATH, SPARK_NAME: 'x' }, ...(asRoot ? { uid: 65534, gid: 65534 } : {}) });
  if (asRoot) rmSync(join(copy, '..'), { recursive: true, force: true });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /must run as root/);
});

test('read_config trims whitespace and is empty for a missing file', () => {
  writeFileSync(join(dir, 'GIT_REPO'), '  https://github.com/acme/x.git \n\n');
  const r = run(`printf '[%s]' "$(read_config "${dir}/GIT_REPO")" "$(read_config "${dir}/absent")"`);
  assert.equal(r.stdout, '[https://github.com/acme/x.git][]');
});

describe('write_env_files', () => {
  const tricky = `postgresql://spark:p'a"s$s \`w\\d@db:5432/x?sslmode=disable`;

  test('writes only the set variables, mode 600, readable by sh, bash and zsh with the exact values', () => {
    const home = freshHome('env-home');
    run(`write_env_files "${home}" "${me}"`, { DATABASE_URL: tricky, ANTHROPIC_API_KEY: 'sk-ant-1', GITHUB_TOKEN: '', SPARK_NAME: 'brave-dolphin' });
    const shellEnv = join(home, '.spark', 'env');
    const sshEnv = join(home, '.ssh', 'environment');
    assert.equal(mode(shellEnv), '600');
    assert.equal(mode(sshEnv), '600');
    assert.equal(mode(join(home, '.spark')), '700');
    assert.equal(statSync(shellEnv).uid, process.getuid?.());
    const shells = ['sh', 'bash', ...(hasCommand('zsh') ? ['zsh'] : [])];
    for (const shell of shells) {
      const out = execFileSync(shell, ['-c', `. "${shellEnv}"; printf '%s\\n' "$DATABASE_URL" "$ANTHROPIC_API_KEY" "$SPARK_NAME" "\${GITHUB_TOKEN-unset}"`], { encoding: 'utf8', env: { HOME: dir }, stdio: ['ignore', 'pipe', 'pipe'] });
      assert.equal(out, `${tricky}\nsk-ant-1\nbrave-dolphin\nunset\n`, shell);
    }
    // sshd's ~/.ssh/environment: NAME=value lines, taken literally.
    const lines = readFileSync(sshEnv, 'utf8').trimEnd().split('\n');
    assert.deepEqual(lines.slice(0, 3), [`DATABASE_URL=${tricky}`, 'ANTHROPIC_API_KEY=sk-ant-1', 'SPARK_NAME=brave-dolphin']);
    assert.match(lines[3]!, /^PATH=\/home\/user\/\.local\/bin:/);
    assert.equal(lines.length, 4);
  });

  test('a second start replaces the values (a rotated password takes effect)', () => {
    const home = freshHome('env-home2');
    run(`write_env_files "${home}" "${me}"`, { DATABASE_URL: 'postgresql://old', SPARK_NAME: 'x', GITHUB_TOKEN: 'ghp_1' });
    run(`write_env_files "${home}" "${me}"`, { DATABASE_URL: 'postgresql://new', SPARK_NAME: 'x' });
    const text = readFileSync(join(home, '.spark', 'env'), 'utf8');
    assert.match(text, /postgresql:\/\/new/);
    assert.doesNotMatch(text, /old|ghp_1/);
    assert.ok(!existsSync(join(home, '.spark', 'env.tmp')));
  });
});

describe('install_authorized_keys', () => {
  test('installs the keys with sshd-acceptable modes and keeps keys the user added', () => {
    const home = freshHome('keys-home');
    const src = join(dir, 'authorized_keys');
    writeFileSync(src, 'ssh-ed25519 AAAA1 alice@laptop\n\n');
    run(`install_authorized_keys "${src}" "${home}" "${me}"`);
    const file = join(home, '.ssh', 'authorized_keys');
    assert.equal(mode(join(home, '.ssh')), '700');
    assert.equal(mode(file), '600');
    assert.match(readFileSync(file, 'utf8'), /^ssh-ed25519 AAAA1 alice@laptop$/m);
    // The user adds a key; the ConfigMap's key changes; a restart.
    writeFileSync(file, `${readFileSync(file, 'utf8')}ssh-ed25519 AAAA9 phone\n`);
    writeFileSync(src, 'ssh-ed25519 AAAA2 alice@new-laptop\n');
    run(`install_authorized_keys "${src}" "${home}" "${me}"`);
    run(`install_authorized_keys "${src}" "${home}" "${me}"`);
    const text = readFileSync(file, 'utf8');
    assert.match(text, /AAAA9 phone/);
    assert.match(text, /AAAA2 alice@new-laptop/);
    assert.doesNotMatch(text, /AAAA1/);
    assert.equal(text.match(/AAAA2/g)?.length, 1, 'the managed block is replaced, not appended');
    assert.equal(mode(file), '600');
  });

  test('warns when there is no key', () => {
    const home = freshHome('keys-none');
    const r = run(`install_authorized_keys "${join(dir, 'no-such-file')}" "${home}" "${me}"`);
    assert.match(r.stderr, /no SSH public key/);
  });
});

describe('clone_repo', () => {
  test('clones once: a restart leaves the working tree alone', () => {
    const url = bareRepo('project', { 'README.md': 'hello\n' });
    const home = freshHome('clone-home');
    const dest = join(home, 'project');
    run(`clone_repo "${url}" "${dest}" "" "${me}"`);
    assert.equal(readFileSync(join(dest, 'README.md'), 'utf8'), 'hello\n');
    writeFileSync(join(dest, 'work-in-progress.txt'), 'mine');
    const second = run(`clone_repo "${url}" "${dest}" "" "${me}"`);
    assert.match(second.stderr, /already cloned/);
    assert.equal(readFileSync(join(dest, 'work-in-progress.txt'), 'utf8'), 'mine');
  });

  test('a failed clone leaves nothing behind, so the next start retries', () => {
    const home = freshHome('clone-fail');
    const dest = join(home, 'project');
    const r = run(`clone_repo "file://${dir}/no-such-repo.git" "${dest}" "" "${me}" || echo "rc=$?"`);
    assert.match(r.stdout, /rc=1/);
    assert.match(r.stderr, /retried at the next start/);
    assert.ok(!existsSync(dest));
    assert.ok(!existsSync(join(home, '.project.cloning')));
  });

  test('does not clone into a non-empty directory that is not a clone', () => {
    const url = bareRepo('project2', { 'a.txt': 'a' });
    const home = freshHome('clone-occupied');
    mkdirSync(join(home, 'project'));
    writeFileSync(join(home, 'project', 'notes.txt'), 'keep');
    const r = run(`clone_repo "${url}" "${join(home, 'project')}" "" "${me}"`);
    assert.match(r.stderr, /not empty/);
    assert.ok(!existsSync(join(home, 'project', 'a.txt')));
  });

  test('a GitHub HTTPS clone with a token writes neither the token nor the helper into .git/config', () => {
    const url = bareRepo('private', { 'secret-sauce.txt': 'x' });
    // Send github.com to the local repository (test-only global git config).
    writeFileSync(join(dir, 'gitconfig'), `[url "${url}"]\n\tinsteadOf = https://github.com/acme/private.git\n`);
    try {
      const home = freshHome('clone-token');
      const dest = join(home, 'project');
      run(`clone_repo "https://github.com/acme/private.git" "${dest}" "ghp_supersecret" "${me}"`);
      assert.ok(existsSync(join(dest, 'secret-sauce.txt')));
      const config = readFileSync(join(dest, '.git', 'config'), 'utf8');
      assert.match(config, /url = https:\/\/github.com\/acme\/private.git/);
      assert.doesNotMatch(config, /ghp_supersecret|helper|extraheader/i);
    } finally {
      rmSync(join(dir, 'gitconfig'), { force: true });
    }
  });

  test("git_auth's one-shot helper answers github.com with the token, and nothing else", () => {
    const fill = (host: string, token: string) =>
      run(`printf 'protocol=https\\nhost=${host}\\n\\n' | SPARK_GIT_TOKEN='${token}' git_auth credential fill 2>&1 || true`, {
        GIT_ASKPASS: '/bin/false',
        SSH_ASKPASS: '/bin/false',
      }).stdout;
    const github = fill('github.com', 'ghp_abc');
    assert.match(github, /^username=x-access-token$/m);
    assert.match(github, /^password=ghp_abc$/m);
    assert.doesNotMatch(fill('gitlab.com', 'ghp_abc'), /ghp_abc/);
    // The token only goes to GitHub: other hosts are cloned without it.
    const r = run('is_github_https https://github.com/a/b && ! is_github_https https://gitlab.com/a/b && ! is_github_https git@github.com:a/b && echo ok');
    assert.equal(r.stdout.trim(), 'ok');
  });
});

describe('install_dotfiles', () => {
  test('clones into ~/.dotfiles and runs install.sh once, as the user with HOME set', () => {
    const url = bareRepo('dotfiles', { 'install.sh': 'echo "installed from $PWD" >> "$HOME/.dotfiles-ran"\n', '.bashrc': '' });
    const home = freshHome('dot-home');
    run(`install_dotfiles "${url}" "${home}" "${me}" ""`);
    assert.ok(existsSync(join(home, '.dotfiles', '.git')));
    assert.equal(readFileSync(join(home, '.dotfiles-ran'), 'utf8'), `installed from ${join(home, '.dotfiles')}\n`);
    run(`install_dotfiles "${url}" "${home}" "${me}" ""`);
    assert.equal(readFileSync(join(home, '.dotfiles-ran'), 'utf8').split('\n').length, 2, 'install.sh ran once');
  });

  test('a failing install.sh warns and fails the step (recorded as failed; the spark goes on)', () => {
    const url = bareRepo('dotfiles-bad', { 'install.sh': 'exit 3\n' });
    const home = freshHome('dot-bad');
    const r = run(`install_dotfiles "${url}" "${home}" "${me}" "" || echo "rc=$?"`);
    assert.match(r.stderr, /install.sh failed \(exit 3\)/);
    assert.match(r.stdout, /rc=1/);
  });

  test('nothing to do without a URL', () => {
    const home = freshHome('dot-none');
    run(`install_dotfiles "" "${home}" "${me}" ""`);
    assert.ok(!existsSync(join(home, '.dotfiles')));
  });
});

test('configure_gh stores the token in gh\'s hosts.yml (mode 600, no online login) and sets up git', () => {
  const bin = join(dir, 'fake-gh-bin');
  mkdirSync(bin, { recursive: true });
  const log = join(dir, 'gh.log');
  writeFileSync(join(bin, 'gh'), `#!/bin/bash\nprintf 'args=%s HOME=%s\\n' "$*" "$HOME" >>"${log}"\n`);
  chmodSync(join(bin, 'gh'), 0o755);
  const home = freshHome('gh-home');
  run(`configure_gh "gho_t'ok" "${home}" "${me}"`, { PATH: `${bin}:${process.env.PATH}`, GITHUB_TOKEN: 'gho_tok' });
  const hosts = join(home, '.config', 'gh', 'hosts.yml');
  assert.equal(readFileSync(hosts, 'utf8'), "github.com:\n    oauth_token: 'gho_t''ok'\n    git_protocol: https\n");
  assert.equal(mode(hosts), '600');
  assert.equal(readFileSync(log, 'utf8'), `args=auth setup-git --hostname github.com HOME=${home}\n`, 'no `gh auth login`: it needs GitHub online');
  // No token: gh is left alone.
  rmSync(log);
  run(`configure_gh "" "${home}" "${me}"`, { PATH: `${bin}:${process.env.PATH}` });
  assert.ok(!existsSync(log));
});

describe('sshd configuration', () => {
  test('key-only, no root login, no passwords; host keys made once', () => {
    const keys = join(dir, 'host-keys');
    mkdirSync(keys, { mode: 0o700 });
    const conf = join(dir, 'sshd_config');
    run(`generate_host_keys "${keys}" && write_sshd_config "${conf}" "${keys}"`, { SPARK_NAME: 'x' });
    const text = readFileSync(conf, 'utf8');
    for (const line of ['PasswordAuthentication no', 'KbdInteractiveAuthentication no', 'PermitRootLogin no', 'PubkeyAuthentication yes', 'PermitEmptyPasswords no']) {
      assert.match(text, new RegExp(`^${line}$`, 'm'));
    }
    assert.match(text, /^PermitUserEnvironment DATABASE_URL,ANTHROPIC_API_KEY,GITHUB_TOKEN,SPARK_NAME,PATH$/m);
    const key = join(keys, 'ssh_host_ed25519_key');
    assert.equal(mode(key), '600');
    const before = readFileSync(key, 'utf8');
    run(`generate_host_keys "${keys}"`);
    assert.equal(readFileSync(key, 'utf8'), before, 'host keys survive restarts');
  });

  test('sshd accepts the configuration (sshd -t)', { skip: existsSync('/usr/sbin/sshd') && process.getuid?.() === 0 ? false : 'needs openssh-server installed and root (sshd -t)' }, () => {
    const keys = join(dir, 'host-keys-t');
    mkdirSync(keys, { mode: 0o700 });
    const conf = join(dir, 'sshd_config_t');
    run(`generate_host_keys "${keys}" && write_sshd_config "${conf}" "${keys}"`);
    // sshd -t insists on its privilege-separation directory.
    if (!existsSync('/run/sshd')) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    const r = spawnSync('/usr/sbin/sshd', ['-t', '-f', conf], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  });
});
