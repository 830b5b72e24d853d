#!/usr/bin/env bash
# Retrieve a payment by the id you stored with the order.
# Needs bash 4 or later, curl and jq: FLOWLIX_API_KEY=... bash retrieve_payment.sh
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

# The payment into $BODY; "null" when this account has no payment with that id.
retrieve_payment() { # PAYMENT_ID
  flowlix GET "/payments/$1"
  if [[ $STATUS == 404 ]]; then BODY=null; elif [[ $STATUS != 200 ]]; then fail; fi
}

pay order-1234 2500 GBP 5555555555554444
[[ $STATUS == 201 ]] || fail
retrieve_payment "$(jq -r .id <<<"$BODY")"
jq -r '"\(.id) \(.status) \(.amount) \(.currency)",
       "refunded so far: \(.amount_refunded) card ending \(.card.last4)"' <<<"$BODY"
retrieve_payment pay_doesnotexist0000000000
echo "unknown id: $BODY"
# Output:
# pay_uxfO62n16L8fEW1h3BFTS9Z0 succeeded 2500 GBP
# refunded so far: 0 card ending 4444
# unknown id: null
