#!/usr/bin/env bash
# Handle the customer's return to success_url: confirm with Flowlix before fulfilling.
# Anyone can open /checkout/success?session_id=... in a browser, so the redirect proves nothing.
# Fulfil only when the session, fetched from the API, says it is paid.
# Needs bash 4 or later, curl and jq: FLOWLIX_API_KEY=... bash success_handler.sh
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

# Your orders (a database in a real shop).
declare -A order_amount=([order-1234]=4999) order_status=([order-1234]="awaiting payment") order_payment=()

# The success_url handler: prints the text for the customer's confirmation page.
handle_success_redirect() { # QUERY_STRING
  local session_id reference
  session_id=$(jq -rn --arg query "$1" \
    '$query | split("&") | map(split("=")) | map(select(.[0] == "session_id")) | .[0][1] // ""')
  if [[ $session_id != cs_* ]]; then echo "We could not find your payment."; return; fi
  flowlix GET "/checkout/sessions/$session_id"
  if [[ $STATUS == 404 ]]; then echo "We could not find your payment."; return; fi
  [[ $STATUS == 200 ]] || fail
  reference=$(jq -r .reference <<<"$BODY")
  if [[ -z ${order_amount[$reference]:-} || $(jq -r .amount <<<"$BODY") != "${order_amount[$reference]}" ]]; then
    echo "We could not match your payment to an order; our team will contact you."
  elif [[ $(jq -r .payment_status <<<"$BODY") != paid ]]; then
    echo "Your payment is not complete yet."
  else
    if [[ ${order_status[$reference]} != paid ]]; then # fulfil once, however often it is reloaded
      order_status[$reference]=paid
      order_payment[$reference]=$(jq -r .payment <<<"$BODY")
    fi
    echo "Thank you! Order $reference is confirmed."
  fi
}

# Test mode only: fill in the hosted page like a customer; prints where it redirects.
pay_on_hosted_page() { # PAGE_URL
  # snippet-rules: idempotency-key (the customer's browser submits the hosted page form)
  curl --silent --show-error --max-time 10 --output /dev/null --write-out '%{redirect_url}' \
    --data-urlencode "card_number=4111 1111 1111 1111" --data-urlencode "expiry=12/30" \
    --data-urlencode "cvc=123" "$1"
}

flowlix POST /checkout/sessions --header "Idempotency-Key: checkout-order-1234-1" \
  --header "Content-Type: application/json" \
  --data '{"amount": 4999, "currency": "EUR", "reference": "order-1234",
           "success_url": "http://localhost:8000/checkout/success",
           "cancel_url": "http://localhost:8000/checkout/cancel"}'
[[ $STATUS == 201 ]] || fail
session_id=$(jq -r .id <<<"$BODY")
session_url=$(jq -r .url <<<"$BODY")

# A forged visit before paying does not fulfil anything.
handle_success_redirect "session_id=$session_id"

redirect=$(pay_on_hosted_page "$session_url")
path=/${redirect#*://*/}
echo "redirected to: ${path%%\?*}"
handle_success_redirect "${redirect#*\?}"
echo "${order_status[order-1234]} ${order_payment[order-1234]}"
# Output:
# Your payment is not complete yet.
# redirected to: /checkout/success
# Thank you! Order order-1234 is confirmed.
# paid pay_MDoaegMewylYDceErfK9FLCU
