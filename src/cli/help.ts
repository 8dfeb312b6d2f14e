import type { Command } from 'commander';

/** Examples shown at the end of each command's --help, keyed by the command's path. */
const EXAMPLES: Record<string, string[]> = {
  '': ['spark create --runtime local demo', 'spark list', 'spark shell demo -- psql -c "select 1"', 'spark delete demo --yes', 'spark help create'],
  create: ['spark create', 'spark create brave-dolphin --repo https://github.com/me/app.git', 'spark create --runtime local scratch --no-shell', 'spark create --test'],
  list: ['spark list', 'spark list -o wide', 'spark list -o name | xargs spark delete --yes', "spark list --json | jq -r '.sparks[].name'"],
  status: ['spark status brave-dolphin', 'spark status brave-dolphin -o yaml', "spark status brave-dolphin --json | jq .events"],
  shell: ['spark shell brave-dolphin', 'spark shell brave-dolphin -- make test', 'spark shell brave-dolphin --no-wake', "spark shell brave-dolphin -- psql -c 'select now()'"],
  delete: ['spark delete brave-dolphin', 'spark delete brave-dolphin wise-falcon --yes', 'spark delete brave-dolphin --keep-db'],
  doctor: ['spark doctor', 'spark doctor --json'],
  logs: ['spark logs brave-dolphin', 'spark logs brave-dolphin -f', 'spark logs brave-dolphin --since 10m'],
  events: ['spark events brave-dolphin', 'spark events brave-dolphin --json'],
  forward: ['spark forward brave-dolphin 3000', 'spark forward brave-dolphin 8080:80 5173'],
  extend: ['spark extend brave-dolphin 2h', 'spark extend brave-dolphin 7d'],
  reap: ['spark reap --dry-run', 'spark reap', 'spark reap --json', 'spark reap --force   # expired sparks go even with unsaved work'],
  sleep: ['spark sleep brave-dolphin', 'spark sleep brave-dolphin wise-falcon --json'],
  wake: ['spark wake brave-dolphin', 'spark wake brave-dolphin --no-wait', 'spark wake brave-dolphin --timeout 10m'],
  'ssh-config': ['spark ssh-config', 'spark ssh-config --write   # then: ssh spark-brave-dolphin'],
  proxy: ['spark ssh-config --write   # ssh runs spark proxy %n %p for ssh spark-NAME', 'spark proxy spark-brave-dolphin 22 < /dev/null   # what ssh runs'],
  local: ['spark local status', 'spark local stop'],
  'local status': ['spark local status', 'spark local status --json'],
  'local stop': ['spark local stop'],
  config: ['spark config', 'spark config --json', 'SPARK_RUNTIME=local spark config'],
  admin: ['spark admin setup-db --superuser-url postgresql://postgres@db.example:5432/homelab', 'spark admin rotate-password'],
  'admin setup-db': ['spark admin setup-db --superuser-url postgresql://postgres@db.example:5432/homelab', 'spark admin setup-db --print-sql > spark-role.sql', 'spark admin setup-db --superuser-url "$SUPERUSER_URL" --isolation role --yes'],
  'admin rotate-password': ['spark admin rotate-password', 'spark admin rotate-password --yes'],
  completion: ['source <(spark completion bash)', 'spark completion zsh > "${fpath[1]}/_spark"', 'spark completion fish > ~/.config/fish/completions/spark.fish'],
  version: ['spark version', 'spark version --client', 'spark version --json'],
  deploy: ['spark deploy list', 'spark deploy print rbac.yaml | kubectl apply -f -'],
  'deploy list': ['spark deploy list'],
  'deploy print': ['spark deploy print namespace.yaml | kubectl apply -f -', 'spark deploy print secret.yaml.template > secret.yaml'],
  help: ['spark help', 'spark help create'],
  db: ['spark db snapshot brave-dolphin --label "before the migration"', 'spark db snapshots brave-dolphin', 'spark db restore brave-dolphin k3x9a2', 'spark db template create app-schema --from brave-dolphin'],
  'db snapshot': ['spark db snapshot brave-dolphin', 'spark db snapshot brave-dolphin --label "before the migration"', 'spark db snapshot brave-dolphin --json | jq -r .id'],
  'db snapshots': ['spark db snapshots brave-dolphin', "spark db snapshots brave-dolphin --json | jq -r '.snapshots[].id'"],
  'db restore': ['spark db restore brave-dolphin k3x9a2'],
  'db reset': ['spark db reset brave-dolphin'],
  'db drop-snapshot': ['spark db drop-snapshot brave-dolphin k3x9a2'],
  'db template': ['spark db template create app-schema --from brave-dolphin', 'spark db template list', 'spark create --db-template app-schema'],
  'db template create': ['spark db template create app-schema --from brave-dolphin'],
  'db template list': ['spark db template list', 'spark db template list --json'],
  'db template drop': ['spark db template drop app-schema'],
};

export function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** Every command's help ends with examples; a command without its own shows how to ask for help. */
export function addExamples(command: Command): void {
  const path = commandPath(command);
  const examples = EXAMPLES[path] ?? [`spark ${path} --help`];
  command.addHelpText('after', `\nExamples:\n${examples.map((e) => `  ${e}`).join('\n')}\n`);
}
