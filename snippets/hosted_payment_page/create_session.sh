#!/usr/bin/env bash
# Create a checkout session and send the customer to the Hosted Payment Page.
# Needs bash 4 or later, curl and jq: FLOWLIX_API_KEY=... bash create_session.sh
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

SHOP_URL=${SHOP_URL:-https://shop.example.com}

# A session for the order's payment attempt; redirect the customer's browser to its `url`.
# Card details are typed into Flowlix's page, never into yours: this keeps your servers out of
# most of the PCI DSS scope that the Direct API brings.
create_checkout_session() { # ORDER_ID ATTEMPT AMOUNT CURRENCY DESCRIPTION
  jq -n --arg order "$1" --argjson amount "$3" --arg currency "$4" --arg description "$5" \
    --arg shop "$SHOP_URL" \
    '{amount: $amount, currency: $currency, reference: $order, description: $description,
      success_url: "\($shop)/checkout/success",
      cancel_url: "\($shop)/checkout/cancel?order=\($order | @uri)"}' >"$work/request"
  flowlix POST /checkout/sessions --header "Idempotency-Key: checkout-$1-$2" \
    --header "Content-Type: application/json" --data @"$work/request"
  [[ $STATUS == 201 ]] || fail
}

create_checkout_session order-1234 1 4999 EUR "2 x Coffee beans"
jq -r '"\(.id) \(.status) \(.payment_status) \(.amount)",
       "redirect the customer (303) to an https page: \(.url | startswith("https://"))",
       "success_url: \(.success_url)"' <<<"$BODY"
# Output:
# cs_g7p2581RgF6dC7ZcHj1LThDU open unpaid 4999
# redirect the customer (303) to an https page: true
# success_url: https://shop.example.com/checkout/success
