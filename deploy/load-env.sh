# shellcheck shell=bash
# Loads the spark CLI's configuration from the cluster Secret spark-cli-config into this shell
# (bash or zsh), so psql and other tools see the same values:
#
#   source deploy/load-env.sh
#
# spark itself reads the Secret directly, so this is optional. Secret values are never printed:
# passwords, tokens and keys are shown masked. Honours SPARK_NAMESPACE (default: spark) and
# SPARK_CONTEXT (a kube context; default: the current one).

_spark_load_env() {
  local ns="${SPARK_NAMESPACE:-spark}" name="spark-cli-config"
  local errfile out rc line key value shown count=0
  if ! command -v kubectl >/dev/null 2>&1; then
    printf 'load-env.sh: kubectl is not installed or not on PATH.\n' >&2
    return 1
  fi
  errfile="$(mktemp)" || return 1
  # key=base64 lines: decoded here, so a value may hold any character (only a trailing newline is dropped).
  # shellcheck disable=SC2016 # a kubectl go-template, not shell
  out="$(kubectl ${SPARK_CONTEXT:+"--context=$SPARK_CONTEXT"} get secret "$name" -n "$ns" \
    -o 'go-template={{range $k, $v := .data}}{{$k}}={{$v}}{{"\n"}}{{end}}' 2>"$errfile")"
  rc=$?
  if [ "$rc" -ne 0 ]; then
    if grep -q 'NotFound' "$errfile"; then
      printf 'load-env.sh: the Secret %s was not found in namespace %s%s.\n' "$name" "$ns" "${SPARK_CONTEXT:+ (context $SPARK_CONTEXT)}" >&2
      printf '  Create it: cp deploy/secret.yaml.template deploy/secret.yaml, fill in the values, then kubectl apply -f deploy/secret.yaml\n' >&2
    else
      printf 'load-env.sh: could not read the Secret %s in namespace %s:\n' "$name" "$ns" >&2
      sed 's/^/  /' "$errfile" >&2
      printf '  Check the kube context (kubectl config current-context) and your access to the namespace.\n' >&2
    fi
    rm -f "$errfile"
    return 1
  fi
  rm -f "$errfile"
  printf 'Loaded from Secret %s/%s:\n' "$ns" "$name"
  while IFS= read -r line; do
    [ -n "$line" ] || continue
    key="${line%%=*}"
    case "$key" in
      '' | [0-9]* | *[!A-Za-z0-9_]*)
        printf '  skipped a key that is not a variable name\n'
        continue
        ;;
    esac
    if ! value="$(printf '%s' "${line#*=}" | base64 --decode 2>/dev/null)"; then
      printf '  %s: skipped (not valid base64)\n' "$key"
      continue
    fi
    export "$key=$value"
    count=$((count + 1))
    case "$key" in
      *PASSWORD* | *TOKEN* | *KEY* | *SECRET* | *CREDENTIAL*) shown="******** (${#value} characters)" ;;
      *)
        case "$value" in
          *://*:*@*) shown="******** (a URL with a password)" ;;
          *) shown="$value" ;;
        esac
        ;;
    esac
    [ -n "$value" ] || shown="(empty)"
    printf '  %s=%s\n' "$key" "$shown"
  done <<SPARK_LOAD_ENV_EOF
$out
SPARK_LOAD_ENV_EOF
  if [ "$count" -eq 0 ]; then
    printf 'load-env.sh: the Secret %s/%s holds no values.\n' "$ns" "$name" >&2
    return 1
  fi
  return 0
}

_spark_load_env_sourced=1
if [ -n "${ZSH_VERSION:-}" ]; then
  case "${ZSH_EVAL_CONTEXT:-}" in *:file*) ;; *) _spark_load_env_sourced=0 ;; esac
elif [ -n "${BASH_VERSION:-}" ] && [ "${BASH_SOURCE[0]:-}" = "$0" ]; then
  _spark_load_env_sourced=0
fi
if [ "$_spark_load_env_sourced" = 0 ]; then
  unset _spark_load_env_sourced
  printf 'load-env.sh sets variables in the calling shell: run it as: source %s\n' "$0" >&2
  exit 2
fi
unset _spark_load_env_sourced
if _spark_load_env; then
  unset -f _spark_load_env
else
  unset -f _spark_load_env
  return 1
fi
