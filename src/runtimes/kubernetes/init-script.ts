/**
 * The init script of every spark (the ConfigMap key init.sh; the container runs it with bash as
 * root at each start). Kept as a string so the bundle carries it; the tests write it to a file,
 * run shellcheck on it and run its functions with bash.
 *
 * Editing: this is a template literal, so write \\ for a backslash, \` for a backtick and \${ for
 * a dollar-brace; `node --import tsx -e "import('./src/runtimes/kubernetes/init-script.ts').then(m => process.stdout.write(m.INIT_SCRIPT))" > /tmp/init.sh`
 * prints the script itself.
 */
export const INIT_SCRIPT = `#!/bin/bash
# spark init script: the command of every spark's container (runs as root at each start, so every
# step is idempotent). SSH first: it prepares the user, the keys and the environment and starts
# sshd, then runs the network steps (packages, gh, repo, dotfiles, Claude Code) in the background,
# each bounded by a time limit, so a slow or dead network delays the repo but never the login.
# Progress: "spark-step: ..." lines in the container log, /run/spark/progress, and the MOTD.
# Activity: "spark-activity {json}" lines in the container log (sessions, unsaved git work).
# Shipped in the spark's ConfigMap as init.sh; source: src/runtimes/kubernetes/init-script.ts.
set -euo pipefail

SPARK_USER=user
SPARK_UID=1000
SPARK_HOME=/home/user
SPARK_CONFIG_DIR=/etc/spark
SPARK_TOOLS_DIR=/opt/spark-tools
SPARK_SSHD_CONFIG=/etc/ssh/sshd_config.spark
SPARK_ENV_NAMES="DATABASE_URL ANTHROPIC_API_KEY GITHUB_TOKEN SPARK_NAME"
SPARK_PATH="$SPARK_HOME/.local/bin:$SPARK_TOOLS_DIR/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
MANAGED_BEGIN="# >>> spark: keys from the spark's ConfigMap (rewritten at every start) >>>"
MANAGED_END="# <<< spark <<<"
SPARK_RUN_DIR=/run/spark
SPARK_SELF="\${BASH_SOURCE[0]}"

log() { printf 'spark-init: %s\\n' "$*" >&2; }
warn() { printf 'spark-init: warning: %s\\n' "$*" >&2; }
die() {
  printf 'spark-init: error: %s\\n' "$*" >&2
  exit 1
}
have() { command -v "$1" >/dev/null 2>&1; }
# step_log: the fixed-prefix lines \`spark create\` reads from the container log.
step_log() { printf 'spark-step: %s\\n' "$*" >&2; }

# read_config FILE: the file's content without surrounding whitespace; empty when absent.
read_config() {
  local value=""
  if [[ -r "$1" ]]; then value="$(<"$1")"; fi
  value="\${value#"\${value%%[![:space:]]*}"}"
  value="\${value%"\${value##*[![:space:]]}"}"
  printf '%s' "$value"
}

# as_user HOME COMMAND...: run a command as the spark user (or as is, when not root).
as_user() {
  local home="$1"
  shift
  if [[ "$(id -u)" == 0 ]]; then
    runuser -u "$SPARK_USER" -- env HOME="$home" USER="$SPARK_USER" "$@"
  else
    env HOME="$home" "$@"
  fi
}

# missing_packages: the Debian packages of the tools this image lacks, one a line.
missing_packages() {
  local pkgs=()
  [[ -x /usr/sbin/sshd ]] || pkgs+=(openssh-server)
  have sudo || pkgs+=(sudo)
  have git || pkgs+=(git)
  have curl || pkgs+=(curl)
  [[ -e /etc/ssl/certs/ca-certificates.crt ]] || pkgs+=(ca-certificates)
  have psql || pkgs+=(postgresql-client)
  have gh || [[ -x "$SPARK_TOOLS_DIR/bin/gh" ]] || pkgs+=(gh)
  have runuser || pkgs+=(util-linux)
  if ((\${#pkgs[@]} > 0)); then printf '%s\\n' "\${pkgs[@]}"; fi
}

# install_packages [PACKAGE...]: the given packages, or all that missing_packages names.
install_packages() {
  local missing=("$@")
  if ((\$# == 0)); then mapfile -t missing < <(missing_packages); fi
  if ((\${#missing[@]} == 0)); then
    log "all tools present"
    return 0
  fi
  have apt-get || die "the image lacks \${missing[*]} and has no apt-get: use a Debian-based SPARK_IMAGE, or one with these tools"
  log "installing \${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "\${missing[@]}" >/dev/null
}

# ensure_user: user (uid 1000) with passwordless sudo and /home/user (the home volume) as home.
ensure_user() {
  local existing
  if ! id -u "$SPARK_USER" >/dev/null 2>&1; then
    existing="$(getent passwd "$SPARK_UID" | cut -d: -f1 || true)"
    if [[ -n "$existing" ]]; then
      log "renaming $existing (uid $SPARK_UID) to $SPARK_USER"
      usermod -l "$SPARK_USER" -d "$SPARK_HOME" -s /bin/bash "$existing"
      if ! getent group "$SPARK_USER" >/dev/null; then groupmod -n "$SPARK_USER" "$(id -gn "$SPARK_USER")"; fi
    else
      getent group "$SPARK_UID" >/dev/null || groupadd -g "$SPARK_UID" "$SPARK_USER"
      useradd -u "$SPARK_UID" -g "$SPARK_UID" -d "$SPARK_HOME" -M -s /bin/bash "$SPARK_USER"
    fi
  fi
  # '*' is no valid password yet not a locked account ('!'), which sshd refuses even with a key.
  usermod -p '*' "$SPARK_USER"
  local group
  group="$(id -g "$SPARK_USER")"
  install -d -m 755 -o "$SPARK_UID" -g "$group" "$SPARK_HOME"
  # First start on a fresh volume: the usual shell files.
  if [[ -d /etc/skel && ! -e "$SPARK_HOME/.bashrc" ]]; then
    local f
    for f in /etc/skel/.[!.]* /etc/skel/*; do
      [[ -e "$f" ]] || continue
      cp -an "$f" "$SPARK_HOME/"
      chown -R "$SPARK_UID:$group" "$SPARK_HOME/$(basename "$f")"
    done
  fi
  mkdir -p /etc/sudoers.d
  printf '%s ALL=(ALL) NOPASSWD:ALL\\n' "$SPARK_USER" >/etc/sudoers.d/spark-user
  chmod 440 /etc/sudoers.d/spark-user
}

# install_authorized_keys SOURCE HOME OWNER: the ConfigMap's keys in HOME/.ssh/authorized_keys,
# in a managed block (keys the user added outside it are kept).
install_authorized_keys() {
  local src="$1" home="$2" owner="$3"
  local dir="$home/.ssh"
  local file="$dir/authorized_keys"
  local tmp="$file.spark-tmp"
  install -d -m 700 "$dir"
  chown "$owner" "$dir"
  (
    umask 077
    if [[ -f "$file" ]]; then
      awk -v b="$MANAGED_BEGIN" -v e="$MANAGED_END" '$0 == b { skip = 1; next } $0 == e { skip = 0; next } !skip' "$file" >"$tmp"
    else
      : >"$tmp"
    fi
    printf '%s\\n' "$MANAGED_BEGIN" >>"$tmp"
    if [[ -s "$src" ]]; then
      grep -v '^[[:space:]]*$' "$src" >>"$tmp" || true
    fi
    printf '%s\\n' "$MANAGED_END" >>"$tmp"
  )
  if [[ ! -s "$src" ]]; then warn "no SSH public key in the spark's configuration: nobody can log in"; fi
  chmod 600 "$tmp"
  chown "$owner" "$tmp"
  mv -f "$tmp" "$file"
}

# shell_quote VALUE: VALUE as one single-quoted word for sh, bash and zsh.
shell_quote() {
  local s="\${1//\\'/\\'\\\\\\'\\'}"
  printf "'%s'" "$s"
}

# write_env_files HOME OWNER: the spark's variables (DATABASE_URL, ...) for SSH sessions, which
# do not inherit the container's environment: HOME/.ssh/environment (read by sshd for every
# session, PermitUserEnvironment) and HOME/.spark/env (sourced by login shells). Mode 600.
write_env_files() {
  local home="$1" owner="$2"
  local shell_env="$home/.spark/env" ssh_env="$home/.ssh/environment"
  local name value
  install -d -m 700 "$home/.spark" "$home/.ssh"
  chown "$owner" "$home/.spark" "$home/.ssh"
  (
    umask 077
    printf '# Written by spark at every start of this spark: edits are lost.\\n' >"$shell_env.tmp"
    : >"$ssh_env.tmp"
    for name in $SPARK_ENV_NAMES; do
      value="\${!name:-}"
      [[ -n "$value" ]] || continue
      printf 'export %s=%s\\n' "$name" "$(shell_quote "$value")" >>"$shell_env.tmp"
      if [[ "$value" == *$'\\n'* ]]; then
        warn "$name spans lines: not in ~/.ssh/environment (login shells still get it)"
      else
        printf '%s=%s\\n' "$name" "$value" >>"$ssh_env.tmp"
      fi
    done
    printf 'PATH=%s\\n' "$SPARK_PATH" >>"$ssh_env.tmp"
  )
  chmod 600 "$shell_env.tmp" "$ssh_env.tmp"
  chown "$owner" "$shell_env.tmp" "$ssh_env.tmp"
  mv -f "$shell_env.tmp" "$shell_env"
  mv -f "$ssh_env.tmp" "$ssh_env"
}

# write_profile_hook: login shells source ~/.spark/env and find the user's and the shared tools.
write_profile_hook() {
  mkdir -p /etc/profile.d
  cat >/etc/profile.d/spark.sh <<'EOF'
# spark: the spark's environment for login shells (written by the spark's init script).
if [ -r "$HOME/.spark/env" ]; then . "$HOME/.spark/env"; fi
for spark_dir in /opt/spark-tools/bin "$HOME/.local/bin"; do
  case ":$PATH:" in *":$spark_dir:"*) ;; *) if [ -d "$spark_dir" ]; then PATH="$spark_dir:$PATH"; fi ;; esac
done
unset spark_dir
export PATH
EOF
}

# generate_host_keys DIR: the SSH host keys, made once. DIR is on the home volume, so the keys
# survive restarts and clients do not see a changed host key after each one. No new RSA key:
# making one takes seconds, and every OpenSSH since 6.5 uses ed25519 (a kept one is still served).
generate_host_keys() {
  local dir="$1" type
  for type in ed25519 ecdsa; do
    if [[ ! -s "$dir/ssh_host_\${type}_key" ]]; then
      rm -f "$dir/ssh_host_\${type}_key" "$dir/ssh_host_\${type}_key.pub"
      ssh-keygen -q -t "$type" -N '' -C "spark-\${SPARK_NAME:-}" -f "$dir/ssh_host_\${type}_key"
    fi
  done
}

# write_sshd_config FILE KEYDIR: key-only logins as the spark user, no root, no passwords.
write_sshd_config() {
  local file="$1" keydir="$2"
  cat >"$file" <<EOF
# Written by the spark init script at every start.
Port 22
HostKey $keydir/ssh_host_ed25519_key
HostKey $keydir/ssh_host_ecdsa_key
$(if [[ -s "$keydir/ssh_host_rsa_key" ]]; then echo "HostKey $keydir/ssh_host_rsa_key"; fi)
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitEmptyPasswords no
PermitRootLogin no
AllowUsers $SPARK_USER
UsePAM no
AuthorizedKeysFile .ssh/authorized_keys
PermitUserEnvironment \${SPARK_ENV_NAMES// /,},PATH
AcceptEnv LANG LC_* COLORTERM
X11Forwarding no
AllowTcpForwarding yes
AllowAgentForwarding yes
PrintMotd yes
ClientAliveInterval 60
Subsystem sftp internal-sftp
EOF
}

setup_sshd() {
  local keydir="$SPARK_HOME/.spark/host-keys"
  install -d -m 700 -o root -g root "$keydir"
  generate_host_keys "$keydir"
  install -d -m 755 /run/sshd
  write_sshd_config "$SPARK_SSHD_CONFIG" "$keydir"
  /usr/sbin/sshd -t -f "$SPARK_SSHD_CONFIG"
}

# configure_gh TOKEN HOME OWNER: gh's stored credentials hold the token, and git uses gh for
# github.com. Written directly: \`gh auth login\` checks the token online, which would make a slow
# network (or none) fail the step.
configure_gh() {
  local token="$1" home="$2" owner="$3" gh
  [[ -n "$token" ]] || return 0
  gh="$(command -v gh || true)"
  if [[ -z "$gh" && -x "$SPARK_TOOLS_DIR/bin/gh" ]]; then gh="$SPARK_TOOLS_DIR/bin/gh"; fi
  if [[ -z "$gh" ]]; then
    warn "gh is not installed: not configuring it"
    return 0
  fi
  local dir="$home/.config/gh" q="'"
  install -d -m 700 "$dir"
  chown "$owner" "$home/.config" "$dir"
  (
    umask 077
    printf 'github.com:\\n    oauth_token: %s\\n    git_protocol: https\\n' "$q\${token//$q/$q$q}$q" >"$dir/hosts.yml.tmp"
  )
  chown "$owner" "$dir/hosts.yml.tmp"
  mv -f "$dir/hosts.yml.tmp" "$dir/hosts.yml"
  as_user "$home" "$gh" auth setup-git --hostname github.com || warn "gh auth setup-git failed"
}

# is_github_https URL
is_github_https() { [[ "$1" =~ ^https://([^/@]+@)?github\\.com/ ]]; }

# git_auth GIT-ARGS...: git with, for github.com over HTTPS, a one-shot credential helper that reads
# the token from SPARK_GIT_TOKEN. It lives on the command line only: nothing of it (nor the token)
# is written into .git/config.
git_auth() {
  # shellcheck disable=SC2016 # expanded by the helper's own shell, when git runs it
  GIT_TERMINAL_PROMPT=0 git -c credential.helper= \\
    -c 'credential.https://github.com.helper=!f() { if [ "$1" = get ] && [ -n "$SPARK_GIT_TOKEN" ]; then printf "username=x-access-token\\npassword=%s\\n" "$SPARK_GIT_TOKEN"; fi; }; f' \\
    "$@"
}

# clone_repo URL DEST TOKEN OWNER: clone once (a later start finds DEST/.git and leaves it alone).
# Clones into a temporary sibling first, so an interrupted clone is retried at the next start.
clone_repo() {
  local url="$1" dest="$2" token="$3" owner="$4"
  [[ -n "$url" ]] || return 0
  if [[ -e "$dest/.git" ]]; then
    log "$dest: already cloned"
    return 0
  fi
  if [[ -e "$dest" && -n "$(ls -A "$dest")" ]]; then
    warn "$dest exists and is not empty: not cloning $url into it"
    return 0
  fi
  local tmp
  tmp="$(dirname "$dest")/.$(basename "$dest").cloning"
  rm -rf "$tmp"
  log "cloning $url into $dest"
  if ! is_github_https "$url"; then token=""; fi
  if SPARK_GIT_TOKEN="$token" git_auth clone --quiet -- "$url" "$tmp"; then
    chown -R "$owner" "$tmp"
    if [[ -d "$dest" ]]; then rmdir "$dest"; fi
    mv "$tmp" "$dest"
  else
    rm -rf "$tmp"
    warn "cloning $url failed\${token:+ (with GITHUB_TOKEN)}: it is retried at the next start"
    return 1
  fi
}

# install_dotfiles URL HOME OWNER TOKEN: clone into HOME/.dotfiles once and run its install.sh.
install_dotfiles() {
  local url="$1" home="$2" owner="$3" token="$4"
  local dir="$home/.dotfiles"
  [[ -n "$url" ]] || return 0
  if [[ -e "$dir/.git" ]]; then
    log "dotfiles: already installed"
    return 0
  fi
  clone_repo "$url" "$dir" "$token" "$owner" || return 1
  if [[ -f "$dir/install.sh" ]]; then
    log "running the dotfiles' install.sh"
    local rc=0
    (cd "$dir" && as_user "$home" bash ./install.sh) || rc=$?
    if ((rc != 0)); then
      warn "the dotfiles' install.sh failed (exit $rc)"
      return 1
    fi
  fi
}

# install_claude HOME: Claude Code (official installer, into HOME/.local/bin on the home volume).
install_claude() {
  local home="$1"
  if have claude || [[ -x "$home/.local/bin/claude" || -x "$SPARK_TOOLS_DIR/bin/claude" ]]; then return 0; fi
  log "installing Claude Code"
  as_user "$home" bash -c 'set -o pipefail; curl -fsSL https://claude.ai/install.sh | bash' >/dev/null || {
    warn "installing Claude Code failed: it is retried at the next start"
    return 1
  }
}

# Progress: one file a step under $SPARK_RUN_DIR/steps (NN-name: state and detail), rendered into
# $SPARK_RUN_DIR/progress and, while setup runs or when a step failed, the MOTD (/etc/motd).
progress_set() {
  local file="$1" state="$2" detail="$3"
  printf '%-8s %-11s %s\\n' "$state" "\${file#*-}" "$detail" >"$SPARK_RUN_DIR/steps/$file"
  progress_render
}

progress_render() {
  local steps finished=1 failed=0
  steps="$(cat "$SPARK_RUN_DIR"/steps/* 2>/dev/null || true)"
  if grep -qE '^(pending|running)' <<<"$steps"; then finished=0; fi
  if grep -q '^failed' <<<"$steps"; then failed=1; fi
  {
    printf 'spark %s setup, started %s:\\n%s\\n' "$SPARK_NAME" "$(<"$SPARK_RUN_DIR/started")" "$steps"
  } >"$SPARK_RUN_DIR/progress.tmp"
  mv -f "$SPARK_RUN_DIR/progress.tmp" "$SPARK_RUN_DIR/progress"
  {
    if ((finished == 0)); then
      printf '\\nspark: setup is still running (the repo, tools and dotfiles may not be ready yet):\\n%s\\n' "$steps"
      printf '(cat %s to follow it)\\n\\n' "$SPARK_RUN_DIR/progress"
    elif ((failed == 1)); then
      printf '\\nspark: setup finished with failures (details: the container log):\\n%s\\n\\n' "$steps"
    fi
  } >"$SPARK_RUN_DIR/motd.tmp"
  mv -f "$SPARK_RUN_DIR/motd.tmp" "$SPARK_RUN_DIR/motd"
}

# run_step FILE LIMIT FUNCTION ARGS...: FUNCTION (of this script, in a child bash) bounded by LIMIT
# seconds, its outcome logged and recorded.
run_step() {
  local file="$1" limit="$2" name="\${1#*-}"
  shift 2
  local start=$SECONDS rc=0
  progress_set "$file" running "since $(date +%T)"
  step_log "$name started"
  timeout -k 5 "$limit" bash "$SPARK_SELF" --step "$@" || rc=$?
  local took=$((SECONDS - start))
  if ((rc == 0)); then
    progress_set "$file" "done" "\${took}s"
    step_log "$name done in \${took}s"
  else
    local why="exit $rc"
    if ((rc == 124 || rc == 137)); then why="timed out after \${limit}s"; fi
    progress_set "$file" failed "after \${took}s: $why"
    step_log "$name failed after \${took}s: $why"
  fi
  return 0
}

# setup_steps OWNER: the network steps, one after the other, after sshd is up.
setup_steps() {
  local owner="$1" token="\${GITHUB_TOKEN:-}" file
  for file in "$SPARK_RUN_DIR"/steps/*; do
    [[ -e "$file" ]] || continue
    [[ "$(cut -d' ' -f1 "$file")" == pending ]] || continue
    file="$(basename "$file")"
    case "\${file#*-}" in
      packages) run_step "$file" 900 install_packages ;;
      gh) run_step "$file" 60 configure_gh "$token" "$SPARK_HOME" "$owner" ;;
      repo) run_step "$file" 600 clone_repo "$(read_config "$SPARK_CONFIG_DIR/GIT_REPO")" "$SPARK_HOME/project" "$token" "$owner" ;;
      dotfiles) run_step "$file" 600 install_dotfiles "$(read_config "$SPARK_CONFIG_DIR/DOTFILES_REPO")" "$SPARK_HOME" "$owner" "$token" ;;
      claude) run_step "$file" 300 install_claude "$SPARK_HOME" ;;
    esac
  done
  local failed
  failed="$(cat "$SPARK_RUN_DIR"/steps/* 2>/dev/null | grep -c '^failed' || true)"
  step_log "setup finished ($failed failed)"
}

# plan_steps: the steps this start has to do, recorded as pending (in order).
plan_steps() {
  local n=1 name file
  local names=()
  if [[ -n "$(missing_packages)" ]]; then names+=(packages); fi
  if [[ -n "\${GITHUB_TOKEN:-}" ]]; then names+=(gh); fi
  if [[ -n "$(read_config "$SPARK_CONFIG_DIR/GIT_REPO")" && ! -e "$SPARK_HOME/project/.git" ]]; then names+=(repo); fi
  if [[ -n "$(read_config "$SPARK_CONFIG_DIR/DOTFILES_REPO")" && ! -e "$SPARK_HOME/.dotfiles/.git" ]]; then names+=(dotfiles); fi
  if ! have claude && [[ ! -x "$SPARK_HOME/.local/bin/claude" && ! -x "$SPARK_TOOLS_DIR/bin/claude" ]]; then names+=(claude); fi
  for name in "\${names[@]}"; do
    printf -v file '%02d-%s' "$n" "$name"
    progress_set "$file" pending ""
    n=$((n + 1))
  done
}

# Activity: "spark-activity {json}" lines in the container log, which the CLI reads through the
# API server (pods/log; see docs/decisions.md). One when the open sessions or the project's git
# state change, and at least every SPARK_ACTIVITY_HEARTBEAT seconds. The time of the last session
# is kept on the home volume, so it survives restarts and sleep.
SPARK_ACTIVITY_INTERVAL="\${SPARK_ACTIVITY_INTERVAL:-15}"
SPARK_ACTIVITY_GIT_INTERVAL="\${SPARK_ACTIVITY_GIT_INTERVAL:-60}"
SPARK_ACTIVITY_HEARTBEAT="\${SPARK_ACTIVITY_HEARTBEAT:-300}"

# open_sessions: how many SSH logins are open. sshd titles a logged-in connection's process
# "sshd: USER@pts/N" (or "@notty": commands, scp, forwards); [priv] and [preauth] are no logins.
open_sessions() {
  local f title n=0 re='^sshd(-session)?: [^ ]+@'
  for f in /proc/[0-9]*/cmdline; do
    title=""
    IFS= read -r -d '' title 2>/dev/null <"$f" || true
    if [[ "$title" =~ $re ]]; then n=$((n + 1)); fi
  done
  printf '%s' "$n"
}

# git_in DIR GIT-ARGS...: git in DIR as the spark user (its own config and hooks), time-limited.
git_in() {
  local dir="$1"
  shift
  if [[ "$(id -u)" == 0 ]]; then
    timeout -k 2 20 runuser -u "$SPARK_USER" -- env HOME="$SPARK_HOME" git -C "$dir" "$@"
  else
    timeout -k 2 20 git -C "$dir" "$@"
  fi
}

# project_state DIR: "true|what", "false|what" or "unknown|why": whether DIR holds work that is
# nowhere else (uncommitted or untracked files, commits on no remote, stashes).
project_state() {
  local dir="$1" status commits stashes files parts=()
  if [[ ! -e "$dir" ]]; then
    printf 'false|no project directory'
    return 0
  fi
  if [[ ! -e "$dir/.git" ]]; then
    if [[ -n "$(ls -A "$dir" 2>/dev/null)" ]]; then printf 'true|the project is not a git repository'; else printf 'false|empty project directory'; fi
    return 0
  fi
  if ! status="$(git_in "$dir" status --porcelain 2>/dev/null)"; then
    printf 'unknown|git status failed in the project'
    return 0
  fi
  commits="$(git_in "$dir" rev-list --count --branches --not --remotes 2>/dev/null || echo 0)"
  stashes="$(git_in "$dir" stash list 2>/dev/null | grep -c . || true)"
  files="$(grep -c . <<<"$status" || true)"
  if ((files > 0)); then parts+=("$files uncommitted files"); fi
  if ((commits > 0)); then parts+=("$commits unpushed commits"); fi
  if ((stashes > 0)); then parts+=("$stashes stashes"); fi
  if ((\${#parts[@]} == 0)); then
    printf 'false|committed and pushed'
    return 0
  fi
  local IFS=,
  printf 'true|%s' "\${parts[*]}"
}

# activity_line NOW OPEN LAST STATE: one report, well-formed JSON whatever the inputs.
activity_line() {
  local now="$1" open="$2" last="$3" unsaved="\${4%%|*}" detail="\${4#*|}" last_json=null unsaved_json=null
  if [[ "$last" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$ ]]; then last_json="\\"$last\\""; fi
  if [[ "$unsaved" == true || "$unsaved" == false ]]; then unsaved_json="$unsaved"; fi
  detail="\${detail//[^a-zA-Z0-9 ,.\\/-]/}"
  detail="\${detail//,/, }"
  printf 'spark-activity {"v":1,"reportedAt":"%s","openSessions":%d,"lastSessionAt":%s,"unsavedWork":%s,"unsavedDetail":"%s"}\\n' \\
    "$now" "$open" "$last_json" "$unsaved_json" "$detail" >&2
}

# activity_reporter: runs in the background for the container's life.
activity_reporter() {
  set +e +o pipefail
  local last_file="$SPARK_HOME/.spark/last-session" last="" open was_open=0 now state="" git_state="" reported="" reported_at=-100000 git_at=-100000
  if [[ -r "$last_file" ]]; then last="$(<"$last_file")"; fi
  while true; do
    open="$(open_sessions)"
    now="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    # In use now, or just ended: this is the last session's time (within one interval).
    if ((open > 0 || was_open > 0)); then
      last="$now"
      printf '%s\\n' "$last" >"$last_file.tmp" && mv -f "$last_file.tmp" "$last_file"
    fi
    was_open="$open"
    if ((SECONDS - git_at >= SPARK_ACTIVITY_GIT_INTERVAL)); then
      git_state="$(project_state "$SPARK_HOME/project")"
      git_at=$SECONDS
    fi
    state="$open|$git_state"
    if [[ "$state" != "$reported" ]] || ((SECONDS - reported_at >= SPARK_ACTIVITY_HEARTBEAT)); then
      activity_line "$now" "$open" "$last" "$git_state"
      reported="$state"
      reported_at=$SECONDS
    fi
    sleep "$SPARK_ACTIVITY_INTERVAL"
  done
}

main() {
  [[ "$(id -u)" == 0 ]] || die "must run as root: it creates the user and starts sshd"
  [[ -n "\${SPARK_NAME:-}" ]] || die "SPARK_NAME is not set (the spark's Deployment sets it)"
  log "starting spark $SPARK_NAME"
  rm -rf "$SPARK_RUN_DIR"
  install -d -m 755 "$SPARK_RUN_DIR" "$SPARK_RUN_DIR/steps"
  date +%T >"$SPARK_RUN_DIR/started"
  progress_render
  ln -sfn "$SPARK_RUN_DIR/motd" /etc/motd
  # SSH first. An image without sshd (plain Debian) gets only openssh-server before it.
  if [[ ! -x /usr/sbin/sshd ]]; then
    step_log "ssh-server started"
    timeout -k 5 600 bash "$SPARK_SELF" --step install_packages openssh-server || die "installing openssh-server failed: check the spark's network, or use the spark image (spark image build)"
    step_log "ssh-server done"
  fi
  ensure_user
  local owner
  owner="$SPARK_UID:$(id -g "$SPARK_USER")"
  install_authorized_keys "$SPARK_CONFIG_DIR/authorized_keys" "$SPARK_HOME" "$owner"
  write_env_files "$SPARK_HOME" "$owner"
  write_profile_hook
  setup_sshd
  plan_steps
  /usr/sbin/sshd -D -e -f "$SPARK_SSHD_CONFIG" &
  local sshd_pid=$!
  step_log "sshd listening: ssh $SPARK_USER@spark-$SPARK_NAME"
  setup_steps "$owner" &
  activity_reporter &
  # PID 1 ignores SIGTERM unless trapped; exiting ends every process of the container.
  trap 'exit 0' TERM INT
  local rc=0
  wait "$sshd_pid" || rc=$?
  die "sshd exited (status $rc)"
}

if [[ "\${BASH_SOURCE[0]}" == "$0" ]]; then
  # --step FUNCTION ARGS...: one step of run_step, in its own bash (so timeout can end it whole).
  if [[ "\${1:-}" == --step ]]; then
    shift
    "$@"
  else
    main "$@"
  fi
fi
`;
