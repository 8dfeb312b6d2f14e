/**
 * `spark forward`: local ports to the spark over its SSH (the same way `spark shell` reaches it),
 * `ssh -N -L 127.0.0.1:LOCAL:localhost:REMOTE …`. Only loopback listens here: a forward is for
 * this machine, not its network.
 */
import type { ForwardCapability } from '../../core/ports.js';
import { tailnetHostname } from './labels.js';

export function kubernetesForward(sshProgram: () => string | undefined): ForwardCapability {
  return {
    async forward(name, ports) {
      const [program = 'ssh', ...leading] = (sshProgram() || 'ssh').trim().split(/\s+/);
      const host = `user@${tailnetHostname(name)}`;
      const forwards = ports.flatMap((p) => ['-L', `127.0.0.1:${p.local}:localhost:${p.remote}`]);
      // ExitOnForwardFailure: a port that cannot be bound ends ssh instead of a silent half-forward.
      const args = [...leading, '-N', '-o', 'ExitOnForwardFailure=yes', ...forwards, '--', host];
      return {
        program,
        args,
        connectionHint: [
          `${[program, ...leading].join(' ')} could not reach ${host} or could not forward. Check:`,
          '- this machine is on the tailnet: tailscale status',
          `- the spark runs and has a tailnet address: spark status ${name}`,
          '- the key at SSH_PUBLIC_KEY_PATH is the one the spark was created with',
        ].join('\n'),
        installHint: 'Install it (e.g. apt-get install openssh-client), or point SPARK_SSH at your SSH program.',
      };
    },
  };
}
