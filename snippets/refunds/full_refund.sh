#!/usr/bin/env bash
# Refund a payment in full; the Idempotency-Key makes a retried refund pay back once.
# Needs bash 4 or later, curl and jq: FLOWLIX_API_KEY=... bash full_refund.sh
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

# Refund what is left of the payment. The key names the order's first refund.
refund_in_full() { # ORDER_ID PAYMENT_ID
  flowlix POST /refunds --header "Idempotency-Key: refund-$1-1" \
    --header "Content-Type: application/json" \
    --data "{\"payment\": \"$2\", \"reason\": \"requested_by_customer\"}"
  [[ $STATUS == 201 ]] || fail
}

pay order-1234 4999 EUR 4111111111111111
[[ $STATUS == 201 ]] || fail
payment_id=$(jq -r .id <<<"$BODY")
refund_in_full order-1234 "$payment_id"
jq -r '"\(.id) \(.status) \(.amount) \(.currency)"' <<<"$BODY"
refund_id=$(jq -r .id <<<"$BODY")

# The answer got lost and the job runs again: same key, same refund, no second payout.
refund_in_full order-1234 "$payment_id"
echo "same refund: $([[ $(jq -r .id <<<"$BODY") == "$refund_id" ]] && echo true || echo false)"

flowlix GET "/payments/$payment_id"
jq -r '"refunded: \(.refunded) \(.amount_refunded)"' <<<"$BODY"
# Output:
# re_ZRnmhNPv9PuF5S3xCpNJNyA7 succeeded 4999 EUR
# same refund: true
# refunded: true 4999
