#!/usr/bin/env bash
# Create a payment with the Direct API; turn a decline into a message safe to show the customer.
# Needs bash 4 or later, curl and jq: FLOWLIX_API_KEY=... bash create_payment.sh
# Test cards only: a shell script is no place for real card numbers (the process list shows them).
set -euo pipefail

API_BASE=${FLOWLIX_API_BASE:-https://api.flowlix.eu/v1}
if [[ -z ${FLOWLIX_API_KEY:-} ]]; then
  echo "FLOWLIX_API_KEY is not set: export your Flowlix secret key and run again." >&2
  exit 1
fi

GENERIC_MESSAGE="Your card was declined. Please use a different card or contact your bank."
# Fraud-related codes get the generic message: never tell a customer why.
customer_message() {
  case $1 in
    insufficient_funds) echo "Your card has insufficient funds. Please use a different card." ;;
    expired_card) echo "Your card has expired. Please use a different card." ;;
    generic_decline) echo "$GENERIC_MESSAGE" ;;
    incorrect_cvc) echo "Your card's security code is incorrect. Please check it and try again." ;;
    lost_card) echo "$GENERIC_MESSAGE" ;;
    stolen_card) echo "$GENERIC_MESSAGE" ;;
    do_not_honor) echo "$GENERIC_MESSAGE" ;;
    card_velocity_exceeded) echo "Your card has reached its spending limit. Please use a different card or contact your bank." ;;
    fraudulent) echo "$GENERIC_MESSAGE" ;;
    processing_error) echo "We could not process your card. Please try again in a moment." ;;
    authentication_required) echo "Your bank needs you to confirm this payment. Please try again and complete the verification." ;;
    authentication_failed) echo "We could not confirm this payment with your bank. Please try again or use a different card." ;;
    test_mode_live_card) echo "$GENERIC_MESSAGE" ;;
    *) echo "$GENERIC_MESSAGE" ;;
  esac
}

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

# One key per payment attempt: a retry of this attempt reuses it, a new attempt gets a new one.
create_payment() { # ORDER_ID ATTEMPT AMOUNT CURRENCY CARD_NUMBER
  jq -n --arg order "$1" --argjson amount "$3" --arg currency "$4" --arg number "$5" \
    '{amount: $amount, currency: $currency, reference: $order,
      card: {number: $number, exp_month: 12, exp_year: 2030, cvc: "123"}}' >"$work/request"
  flowlix POST /payments --header "Idempotency-Key: payment-$1-$2" \
    --header "Content-Type: application/json" --data @"$work/request"
}

checkout() { # ORDER_ID CARD_NUMBER
  create_payment "$1" 1 4999 EUR "$2"
  if [[ $STATUS == 201 ]]; then
    jq -r '"\(.id) \(.status) \(.amount) \(.currency)", "\(.card.brand) ending in \(.card.last4)"' <<<"$BODY"
  elif [[ $(jq -r .error.type <<<"$BODY") == card_error ]]; then
    # Keep the real reason for your team; show the customer only the safe message.
    local decline_code
    decline_code=$(jq -r '.error.decline_code // ""' <<<"$BODY")
    echo "$1 declined: $decline_code request_id=$REQUEST_ID" >&2
    echo "$1: $(customer_message "$decline_code")"
  else
    echo "payment failed: $STATUS $(jq -r '"\(.error.type) \(.error.code)"' <<<"$BODY") (request id $REQUEST_ID)" >&2
    exit 1
  fi
}

checkout order-1234 4111111111111111
checkout order-1235 4000040000010015
# Output:
# pay_AAXcg81vmQSEKngDB5uV7Fgd succeeded 4999 EUR
# visa ending in 1111
# order-1235: Your card has insufficient funds. Please use a different card.
