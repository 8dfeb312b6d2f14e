import { Argument, type Command } from 'commander';

export function register(program: Command): void {
  program
    .command('completion')
    .description('print the shell completion script (commands, flags and spark names)')
    .addArgument(new Argument('<shell>', 'bash, zsh or fish').choices(['bash', 'zsh', 'fish']))
    .action(async (shell: 'bash' | 'zsh' | 'fish') => {
      const { completionScript } = await import('../complete.js');
      const { stdout } = await import('../terminal.js');
      stdout.write(completionScript(shell));
    });
}
