#!/usr/bin/env bash
# The body of the ci-rescue GitHub Action: action.yml runs `bash "$GITHUB_ACTION_PATH/rescue.sh"`.
#
# It reads environment variables only (the action maps its inputs through `env:`):
#   from GitHub Actions: GITHUB_EVENT_NAME, GITHUB_EVENT_PATH, GITHUB_REPOSITORY, GITHUB_RUN_ID,
#                        GITHUB_RUN_ATTEMPT, RUNNER_TEMP, GITHUB_OUTPUT (optional)
#   from the inputs:     CI_RESCUE_GITHUB_TOKEN, RESCUE_MODE, RESCUE_RETRY_MAX,
#                        RESCUE_QUARANTINE_TTL_DAYS, RESCUE_CONFIG, RESCUE_API_URL
#   optional:            RESCUE_NO_THROTTLE=1 stops spacing out API calls; only for a local
#                        simulator or test server, never against GitHub
#
# It writes $RUNNER_TEMP/incident.json, and under $RUNNER_TEMP/ci-rescue/ the generated
# rescue.yaml, the rules override, the store and rescue.log.
set -euo pipefail

fail() {
  echo "::error title=ci-rescue::$*"
  exit 1
}

# A single-quoted YAML scalar: any path or URL is safe inside it.
yaml_quote() {
  printf "'%s'" "${1//\'/\'\'}"
}

# A step output (skipped when not running in Actions).
output() {
  if [[ -n ${GITHUB_OUTPUT:-} ]]; then
    printf '%s=%s\n' "$1" "$2" >>"$GITHUB_OUTPUT"
  fi
}

for name in GITHUB_EVENT_NAME GITHUB_EVENT_PATH GITHUB_REPOSITORY GITHUB_RUN_ID RUNNER_TEMP; do
  [[ -n ${!name:-} ]] || fail "$name is not set: run this script as a GitHub Actions step"
done
[[ -n ${CI_RESCUE_GITHUB_TOKEN:-} ]] || fail "the token input is empty"

mode=${RESCUE_MODE:-act}
retry_max=${RESCUE_RETRY_MAX:-2}
ttl_days=${RESCUE_QUARANTINE_TTL_DAYS:-7}
api_url=${RESCUE_API_URL:-https://api.github.com}
repo=$GITHUB_REPOSITORY

case $mode in
  observe | propose | act) ;;
  *) fail "mode must be observe, propose or act, not '$mode'" ;;
esac
[[ $retry_max =~ ^[0-9]+$ ]] || fail "retry-max must be a whole number >= 0, not '$retry_max'"
[[ $ttl_days =~ ^[1-9][0-9]*$ ]] || fail "quarantine-ttl-days must be a whole number >= 1, not '$ttl_days'"
[[ $api_url =~ ^https?:// ]] || fail "api-url must start with https:// or http://, not '$api_url'"
[[ $repo =~ ^[^/]+/[^/]+$ ]] || fail "GITHUB_REPOSITORY is not owner/name: '$repo'"

workdir="$RUNNER_TEMP/ci-rescue"
incident="$RUNNER_TEMP/incident.json"
mkdir -p "$workdir"

if [[ -n ${RESCUE_CONFIG:-} ]]; then
  config=$RESCUE_CONFIG
  [[ -f $config ]] || fail "config '$config' not found: check out the repository first"
  echo "ci-rescue: using $config as is (mode, retry-max, quarantine-ttl-days, api-url ignored)"
  # Ask ci-rescue where that file puts rescue.log; `ci-rescue handle` reports a broken file.
  rescue_log=$(
    python - "$config" 2>/dev/null <<'PY'
import sys
from ci_rescue_core.config import load_config
config = load_config(sys.argv[1])
print(config.resolve(config.output.rescue_log) if config.output.rescue_log else "")
PY
  ) || rescue_log=""
else
  config="$workdir/rescue.yaml"
  rescue_log="$workdir/rescue.log"
  overrides="$workdir/overrides"
  # rules/overrides/<owner>/<repo>.yaml: merged key by key over the packaged defaults.
  mkdir -p "$overrides/${repo%%/*}"
  cat >"$overrides/$repo.yaml" <<EOF
retry_max: $retry_max
quarantine_ttl_days: $ttl_days
EOF
  cat >"$config" <<EOF
mode: $mode
store:
  path: $(yaml_quote "$workdir/rescue.db")
rules:
  overrides_dir: $(yaml_quote "$overrides")
output:
  rescue_log: $(yaml_quote "$rescue_log")
providers:
  github:
    base_url: $(yaml_quote "$api_url")
    token_env: CI_RESCUE_GITHUB_TOKEN
EOF
  if [[ ${RESCUE_NO_THROTTLE:-} == 1 ]]; then
    printf '    %s: 0\n' min_request_interval min_write_interval backoff_factor >>"$config"
  fi
  echo "ci-rescue: $mode mode, retry-max $retry_max, quarantine-ttl-days $ttl_days, API $api_url"
fi

output incident "$incident"
output rescue-log "$rescue_log"

if ! ci-rescue handle --provider github --event-type "$GITHUB_EVENT_NAME" "$GITHUB_EVENT_PATH" \
  --config "$config" --delivery-id "$GITHUB_RUN_ID-${GITHUB_RUN_ATTEMPT:-1}" --format json \
  >"$incident"; then
  fail "ci-rescue could not handle the $GITHUB_EVENT_NAME event (the error is above)"
fi

echo "::group::ci-rescue: $incident"
cat "$incident"
echo "::endgroup::"
