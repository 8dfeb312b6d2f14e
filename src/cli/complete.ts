import type { Command, Option } from 'commander';
import { cachedNames } from './name-cache.js';

/**
 * What TAB offers for `spark WORDS…`, the last word being the one under the cursor: subcommands,
 * flags (the command's and the global ones), option values with a fixed set, and spark names from
 * the cache that list, create and delete keep. Nothing here asks the cluster or PostgreSQL.
 */
export function completions(program: Command, words: string[]): string[] {
  const current = words.at(-1) ?? '';
  const before = words.slice(0, -1);
  let command = program;
  const positionals: string[] = [];
  let expectsValue: Option | undefined;
  for (const word of before) {
    if (expectsValue) {
      expectsValue = undefined;
      continue;
    }
    if (word === '--') return []; // what follows is the spark's own command line
    if (word.startsWith('-')) {
      const option = optionsOf(command).find((o) => o.short === word || o.long === word);
      if (option && (option.required || option.optional)) expectsValue = option;
      continue;
    }
    const sub = positionals.length === 0 ? command.commands.find((c) => c.name() === word || c.aliases().includes(word)) : undefined;
    if (sub) command = sub;
    else positionals.push(word);
  }
  const matching = (candidates: readonly string[]): string[] => candidates.filter((c) => c.startsWith(current));
  if (expectsValue) return matching(expectsValue.argChoices ?? []);
  if (current.startsWith('-')) {
    const flags = [...optionsOf(command).filter((o) => !o.hidden).flatMap((o) => [o.short, o.long]), '-h', '--help'];
    return matching(flags.filter((f): f is string => f !== undefined && (!current.startsWith('--') || f.startsWith('--'))));
  }
  if (command.commands.length && positionals.length === 0) {
    return matching([...command.commands.filter((c) => !(c as unknown as { _hidden?: boolean })._hidden).map((c) => c.name()), ...(command === program ? ['help'] : [])]);
  }
  const args = command.registeredArguments;
  const argument = args[positionals.length] ?? (args.at(-1)?.variadic ? args.at(-1) : undefined);
  if (!argument) return [];
  if (argument.argChoices) return matching(argument.argChoices);
  // Existing sparks for `<name>`/`<names...>`; create's optional [name] is a new one.
  if (argument.required && (argument.name() === 'name' || argument.name() === 'names')) {
    return matching(cachedNames().filter((n) => !positionals.includes(n)));
  }
  return [];
}

/** The command's options and those of every command above it (global flags). */
function optionsOf(command: Command): Option[] {
  const options: Option[] = [];
  for (let c: Command | null = command; c; c = c.parent) options.push(...c.options);
  return options;
}

export function completionScript(shell: 'bash' | 'zsh' | 'fish'): string {
  return SCRIPTS[shell];
}

// Each script only hands the words to `spark __complete`; the logic above is shared by all three.
const SCRIPTS = {
  bash: `# spark completion for bash. Install: echo 'source <(spark completion bash)' >> ~/.bashrc
_spark_completion() {
  local line
  COMPREPLY=()
  while IFS= read -r line; do
    COMPREPLY+=("$line")
  done < <("\${COMP_WORDS[0]}" __complete "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null)
}
complete -o default -F _spark_completion spark
`,
  zsh: `#compdef spark
# spark completion for zsh. Install: spark completion zsh > "\${fpath[1]}/_spark" (then restart zsh),
# or add to ~/.zshrc after compinit: source <(spark completion zsh)
_spark() {
  local -a candidates
  candidates=("\${(@f)$("\${words[1]}" __complete "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  candidates=("\${(@)candidates:#}")
  (( \${#candidates} )) && compadd -- "\${candidates[@]}"
}
if [[ "\${funcstack[1]}" == _spark ]]; then
  _spark "$@"
else
  compdef _spark spark
fi
`,
  fish: `# spark completion for fish. Install: spark completion fish > ~/.config/fish/completions/spark.fish
function __spark_complete
    set -l tokens (commandline -opc)
    set -l current (commandline -ct)
    $tokens[1] __complete $tokens[2..-1] "$current" 2>/dev/null
end
complete -c spark -f -a '(__spark_complete)'
`,
} as const;
