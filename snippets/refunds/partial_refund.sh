#!/usr/bin/env bash
# Refund part of a payment; number each refund of an order so each key means one refund.
# Needs bash 4 or later, curl and jq: FLOWLIX_API_KEY=... bash partial_refund.sh
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

# Refund AMOUNT minor units as the order's refund number REFUND_NUMBER.
refund_part() { # ORDER_ID REFUND_NUMBER PAYMENT_ID AMOUNT
  flowlix POST /refunds --header "Idempotency-Key: refund-$1-$2" \
    --header "Content-Type: application/json" \
    --data "{\"payment\": \"$3\", \"amount\": $4, \"reason\": \"requested_by_customer\"}"
}

pay order-1234 4999 EUR 4111111111111111
[[ $STATUS == 201 ]] || fail
payment_id=$(jq -r .id <<<"$BODY")
refund_part order-1234 1 "$payment_id" 1000
jq -r .amount <<<"$BODY"
refund_part order-1234 2 "$payment_id" 1500
jq -r .amount <<<"$BODY"

flowlix GET "/payments/$payment_id"
jq -r '"refunded so far: \(.amount_refunded) fully: \(.refunded)"' <<<"$BODY"

refund_part order-1234 3 "$payment_id" 5000
if [[ $STATUS == 400 ]]; then echo "refused: $(jq -r .error.code <<<"$BODY")"; else fail; fi
# Output:
# 1000
# 1500
# refunded so far: 2500 fully: false
# refused: amount_too_large
