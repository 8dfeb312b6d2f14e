import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SparkError, usageError } from '../../errors.js';
import type { Context } from '../context.js';

/** deploy/ of the package spark runs from (the bundle's chunks and the sources sit at different depths). */
function deployDir(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'deploy'))) return join(dir, 'deploy');
  }
  throw new SparkError('The setup files (deploy/) are missing from this installation of spark.', { hint: 'Reinstall spark (npm install -g spark-cli), or use a clone of the repository.', code: 'NOT_FOUND' });
}

/** Files under deploy/, as relative paths; never secret.yaml (it holds the operator's real secrets). */
function deployFiles(dir: string): string[] {
  const walk = (d: string): string[] => readdirSync(d).sort().flatMap((entry) => {
    const path = join(d, entry);
    return statSync(path).isDirectory() ? walk(path) : [relative(dir, path).split(sep).join('/')];
  });
  return walk(dir).filter((f) => f !== 'secret.yaml');
}

export async function deployListCommand(ctx: Context): Promise<void> {
  const dir = deployDir();
  const files = deployFiles(dir);
  ctx.ui.result({ directory: dir, files }, () => files.join('\n'));
}

export async function deployPrintCommand(ctx: Context, file: string): Promise<void> {
  const dir = deployDir();
  const files = deployFiles(dir);
  const wanted = file.replace(/^(\.\/)?deploy\//, '');
  if (!files.includes(wanted)) throw usageError(`No setup file named "${file}".`, `The files are: ${files.join(', ')}`);
  const text = readFileSync(join(dir, wanted), 'utf8');
  ctx.ui.result({ file: wanted, content: text }, () => text);
}
