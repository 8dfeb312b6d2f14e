/**
 * `spark ssh-config [--write]`: the ssh config that makes plain `ssh spark-NAME` (and scp, rsync,
 * editors' remote-SSH) go through `spark proxy`, which wakes a sleeping spark first.
 */
import { chmod, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { SparkError } from '../../errors.js';
import type { Context } from '../context.js';

/** A word for the shell ssh runs ProxyCommand with (single-quoted), and with ssh's own `%` tokens escaped. */
function proxyWord(word: string): string {
  return `'${word.replaceAll("'", `'\\''`).replaceAll('%', '%%')}'`;
}

/** This very spark: the node that runs it and the bundle it runs, absolute (ssh runs it from anywhere). */
export function sparkCommand(): string {
  return [process.execPath, resolve(process.argv[1] ?? 'spark')].map(proxyWord).join(' ');
}

/** The `Host spark-*` block. No StrictHostKeyChecking=no: host keys are checked as for any host. */
export function sshConfigBlock(command = sparkCommand()): string {
  return [
    '# Written by spark (spark ssh-config): `ssh spark-NAME` reaches the spark NAME and wakes it when it sleeps.',
    'Host spark-*',
    '  User user',
    `  ProxyCommand ${command} proxy %n %p`,
    // A spark behind a proxy still needs keep-alives to notice a dead link (and to stay non-idle).
    '  ServerAliveInterval 30',
    '  ServerAliveCountMax 4',
    '',
  ].join('\n');
}

function sshDirOf(): string {
  // HOME first, as ssh itself does for ~ (os.homedir reads it too; said explicitly for tests with a temp home).
  return join(process.env.HOME || homedir(), '.ssh');
}

/** An Include line for `file`, quoted when the path has spaces. */
function includeLine(file: string): string {
  return `Include ${/\s/.test(file) ? `"${file}"` : file}`;
}

/** Write via a temporary file and rename, so ssh never reads half a file. */
async function writeAtomically(path: string, text: string, mode: number): Promise<void> {
  const temporary = `${path}.spark-${process.pid}.tmp`;
  await writeFile(temporary, text, { mode });
  await chmod(temporary, mode);
  await rename(temporary, path);
}

/**
 * ~/.ssh/config with our Include as its first directive. An Include after a Host or Match line
 * would only apply inside that block, so a misplaced copy of our line is moved to the top; other
 * lines are left as they are. Resolves whether the file changed.
 */
export function withInclude(config: string, file: string): { text: string; changed: boolean } {
  const line = includeLine(file);
  const lines = config.split('\n');
  const ours = (l: string): boolean => {
    const m = /^\s*include\s+(.+?)\s*$/i.exec(l);
    return Boolean(m && m[1]!.replace(/^"(.*)"$/, '$1') === file);
  };
  const firstBlock = lines.findIndex((l) => /^\s*(host|match)\s/i.test(l));
  const at = lines.findIndex(ours);
  if (at !== -1 && (firstBlock === -1 || at < firstBlock)) return { text: config, changed: false };
  const rest = lines.filter((l) => !ours(l)).join('\n');
  return { text: `# Added by spark ssh-config: spark's Host spark-* block.\n${line}\n\n${rest}`.replace(/\n+$/, '\n'), changed: true };
}

export async function sshConfigCommand(ctx: Context, options: { write: boolean }): Promise<void> {
  const block = sshConfigBlock();
  if (!options.write) {
    ctx.ui.result({ config: block, file: null, sshConfig: null, included: null }, () => block);
    return;
  }
  const dir = sshDirOf();
  const file = join(dir, 'spark_config');
  const sshConfig = join(dir, 'config');
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeAtomically(file, block, 0o600);
    const existing = await readFile(sshConfig, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    const { text, changed } = withInclude(existing ?? '', file);
    if (changed || existing === undefined) {
      // An existing config keeps its mode; a new one is private, as ssh wants it.
      const mode = existing === undefined ? 0o600 : (await stat(sshConfig)).mode & 0o777;
      await writeAtomically(sshConfig, text, mode);
    }
    ctx.ui.result({ config: block, file, sshConfig, included: changed ? 'added' : 'already' }, () =>
      [`Wrote ${file}.`, changed ? `Added "${includeLine(file)}" at the top of ${sshConfig}.` : `${sshConfig} already includes it.`, 'Connect with: ssh spark-NAME'].join('\n'),
    );
  } catch (error) {
    if (error instanceof SparkError) throw error;
    const e = error as NodeJS.ErrnoException;
    throw new SparkError(`Cannot write the ssh configuration in ${dirname(file)}: ${e.message}`, {
      hint: `Check that you own ${dir} (ls -ld ${dir}), or add the block yourself: spark ssh-config >> ${sshConfig}`,
      code: 'SSH_CONFIG_FAILED',
    });
  }
}
