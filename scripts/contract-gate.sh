#!/usr/bin/env bash
# What action.yml runs (tests/spectools/test_action.py runs it too, against a stand-in for GitHub):
# lint the spec, diff it against the pull request's base with GitHub annotations, write the
# pull-request comment to the job summary, and create or update that comment on the pull request.
# Exit 1 when lint finds something, a change breaks clients or a waiver expired; 2 on errors.
set -uo pipefail

token_api="${TOKEN_API_COMMAND:-${TOKEN_API:-token-api}}"
spec="${SPEC:-openapi.yaml}"
summary="${GITHUB_STEP_SUMMARY:-/dev/null}"
status=0

if [ "${LINT:-true}" = "true" ]; then
  read -r -a lint_args <<< "${LINT_ARGS:-}"
  "$token_api" lint "$spec" --format github ${lint_args[@]+"${lint_args[@]}"} || status=1
fi

if [ -z "${BASE:-}" ]; then
  echo "::notice::No base revision (this is not a pull request): $spec was not diffed."
  exit "$status"
fi

diff_args=("git:$BASE:$spec" "$spec" --fail-on "${FAIL_ON:-breaking}")
if [ -n "${WAIVERS:-}" ]; then
  diff_args+=(--waivers "$WAIVERS")
fi
read -r -a extra <<< "${DIFF_ARGS:-}"
diff_args+=(${extra[@]+"${extra[@]}"})

"$token_api" diff "${diff_args[@]}" --format github
verdict=$?
if [ "$verdict" -ge 2 ]; then
  exit "$verdict"
fi
if [ "$verdict" -eq 1 ]; then
  status=1
fi

comment="$(mktemp)"
trap 'rm -f "$comment"' EXIT
pages="${GITHUB_SERVER_URL:-https://github.com}/${GITHUB_REPOSITORY:-}/blob"
"$token_api" diff "${diff_args[@]}" --format pr-comment \
  --old-url "$pages/$BASE/$spec" --new-url "$pages/${HEAD_SHA:-${GITHUB_SHA:-HEAD}}/$spec" \
  > "$comment"
cat "$comment" >> "$summary"

mode="${COMMENT:-changes}"
if [ "$mode" = never ] || [ -z "${PULL:-}" ]; then
  exit "$status"
fi
post=(github-comment "$comment" --pull "$PULL")
# "changes": a pull request that leaves the spec alone gets no comment, but one that was
# commented on (a break since fixed) sees its comment updated.
if [ "$mode" = changes ] && sed -n 2p "$comment" | grep -qx '## ✅ API contract: no changes'; then
  post+=(--no-create)
fi
if ! "$token_api" "${post[@]}"; then
  echo "::warning::The pull request comment could not be posted; the report is in the job summary."
fi
exit "$status"
