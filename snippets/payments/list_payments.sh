#!/usr/bin/env bash
# List payments page by page, newest first, with `limit` and `starting_after`.
# Needs bash 4 or later, curl and jq: FLOWLIX_API_KEY=... bash list_payments.sh
# Test cards only: a shell script is no place for real card numbers (the process list shows them).
set -euo pipefail

API_BASE=${FLOWLIX_API_BASE:-https://api.flowlix.eu/v1}
if [[ -z ${FLOWLIX_API_KEY:-} ]]; then
  echo "FLOWLIX_API_KEY is not set: export your Flowlix secret key and run again." >&2
  exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# flowlix METHOD PATH [curl options]: sets STATUS, BODY and REQUEST_ID.
flowlix() {
  local method=$1 path=$2 name value
  shift 2
  STATUS=$(curl --silent --show-error --max-time 10 --connect-timeout 5 \
    --request "$method" "$API_BASE$path" --header "Authorization: Bearer $FLOWLIX_API_KEY" \
    --dump-header "$work/headers" --output "$work/body" --write-out '%{http_code}' \
    "$@" 2>"$work/error") || {
    echo "could not reach Flowlix: $(head -n 1 "$work/error")" >&2
    exit 1
  }
  BODY=$(<"$work/body")
  # Flowlix support finds any call by its request id: keep it in your logs.
  REQUEST_ID=""
  while IFS=': ' read -r name value; do
    if [[ ${name,,} == flowlix-request-id ]]; then REQUEST_ID=${value%$'\r'}; fi
  done <"$work/headers"
  echo "$method $path -> $STATUS request_id=$REQUEST_ID" >&2
}

# fail: the one line to print when Flowlix refuses a request this program cannot handle.
fail() {
  echo "Flowlix answered $STATUS $(jq -r '"\(.error.type) \(.error.code)"' <<<"$BODY") (request id $REQUEST_ID)" >&2
  exit 1
}

pay() { # ORDER_ID AMOUNT CURRENCY CARD_NUMBER: a payment for the order's first attempt
  jq -n --arg order "$1" --argjson amount "$2" --arg currency "$3" --arg number "$4" \
    '{amount: $amount, currency: $currency, reference: $order,
      card: {number: $number, exp_month: 12, exp_year: 2030, cvc: "123"}}' >"$work/request"
  flowlix POST /payments --header "Idempotency-Key: payment-$1-1" \
    --header "Content-Type: application/json" --data @"$work/request"
}

# Every payment matching the query (such as status=failed), one JSON object per line.
list_payments() { # PAGE_SIZE [QUERY]
  local query="limit=$1${2:+&$2}" after=""
  while true; do
    flowlix GET "/payments?$query${after:+&starting_after=$after}"
    [[ $STATUS == 200 ]] || fail
    jq -c '.data[]' <<<"$BODY"
    [[ $(jq -r .has_more <<<"$BODY") == true ]] || return 0
    after=$(jq -r '.data[-1].id' <<<"$BODY")
  done
}

pay order-1001 1000 EUR 4111111111111111
pay order-1002 1000 EUR 4000040000010015 # declined: insufficient funds
pay order-1003 1000 EUR 5555555555554444
# A small page size shows the paging; use up to 100 in production.
list_payments 2 | jq -r '"\(.id) \(.reference) \(.status)"'
echo "failed: $(list_payments 100 status=failed | jq -r .reference | paste -sd, -)"
# Output:
# pay_VcXe4NBV1eQ6NdUNmPP0kiC3 order-1003 succeeded
# pay_eEKbxd4NsdE1MKtn0N3hy5nS order-1002 failed
# pay_nuBOQyqA1czfYlN6A4UtUVwF order-1001 succeeded
# failed: order-1002
