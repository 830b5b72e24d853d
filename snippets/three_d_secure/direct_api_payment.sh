#!/usr/bin/env bash
# A Direct API payment that may need 3-D Secure: send a return_url; when the payment is
# requires_action, send the customer's browser to next_action.url; when the browser comes back,
# retrieve the payment and act on its status (the redirect back proves nothing).
# Needs bash, curl and jq: FLOWLIX_API_KEY=... bash direct_api_payment.sh
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

# Your return handler. Live: an https URL of your shop; test mode also takes http://localhost.
RETURN_URL=${SHOP_RETURN_URL:-http://localhost:8000/payments/return}

GENERIC_MESSAGE="Your card was declined. Please use a different card or contact your bank."
customer_message() {
  case $1 in
    authentication_failed) echo "We could not confirm this payment with your bank. Please try again or use a different card." ;;
    insufficient_funds) echo "Your card has insufficient funds. Please use a different card." ;;
    *) echo "$GENERIC_MESSAGE" ;;
  esac
}

# Your orders (a database in a real shop).
declare -A order_amount order_attempt order_status order_payment order_shift
for order_id in order-3001 order-3002 order-3003 order-4001 order-4002; do
  order_amount[$order_id]=4999 order_attempt[$order_id]=1 order_status[$order_id]="awaiting payment"
done

# Create the payment; sets NEXT (fulfil, redirect or decline) and the payment in $BODY.
start_payment() { # ORDER_ID CARD_NUMBER
  jq -n --arg order "$1" --argjson amount "${order_amount[$1]}" --arg number "$2" \
    --arg return_url "$RETURN_URL" \
    '{amount: $amount, currency: "EUR", reference: $order, return_url: $return_url,
      card: {number: $number, exp_month: 12, exp_year: 2030, cvc: "123"}}' >"$work/request"
  flowlix POST /payments --header "Idempotency-Key: payment-$1-${order_attempt[$1]}" \
    --header "Content-Type: application/json" --data @"$work/request"
  if [[ $STATUS == 402 ]]; then NEXT=decline; return; fi
  [[ $STATUS == 201 ]] || fail
  order_payment[$1]=$(jq -r .id <<<"$BODY") # store it now: the return handler finds the order by it
  case $(jq -r .status <<<"$BODY") in
    requires_action) NEXT=redirect ;; # nothing charged yet: 303 the browser to next_action.url
    succeeded) NEXT=fulfil ;;
    *) NEXT=decline ;;
  esac
}

# --8<-- [start:return]
# The return_url handler: prints the text for the customer's page.
handle_return() { # QUERY_STRING
  local payment_id order_id="" candidate
  payment_id=$(jq -rn --arg query "$1" \
    '$query | split("&") | map(split("=")) | map(select(.[0] == "payment_id")) | .[0][1] // ""')
  # Only a payment this shop started: its id was stored with the order.
  for candidate in "${!order_payment[@]}"; do
    if [[ ${order_payment[$candidate]} == "$payment_id" ]]; then order_id=$candidate; fi
  done
  if [[ -z $order_id || $payment_id != pay_* ]]; then echo "We could not find your payment."; return; fi
  flowlix GET "/payments/$payment_id"
  [[ $STATUS == 200 ]] || fail
  if [[ $(jq -r '"\(.reference) \(.amount)"' <<<"$BODY") != "$order_id ${order_amount[$order_id]}" ]]; then
    echo "We could not match your payment to an order; our team will contact you."
    return
  fi
  case $(jq -r .status <<<"$BODY") in
    succeeded)
      if [[ ${order_status[$order_id]} != paid ]]; then # fulfil once, however often it is reloaded
        order_status[$order_id]=paid
        order_shift[$order_id]=$(jq -r .three_d_secure.liability_shift <<<"$BODY")
      fi
      echo "Thank you! Order $order_id is confirmed." ;;
    failed) # another try is a new payment attempt, with a new Idempotency-Key
      order_status[$order_id]="awaiting payment"
      order_attempt[$order_id]=$((order_attempt[$order_id] + 1))
      customer_message "$(jq -r .decline_code <<<"$BODY")" ;;
    *) # requires_action (back without answering) or a status added later: not paid
      echo "Your bank has not confirmed this payment yet." ;;
  esac
}

# --8<-- [end:return]

# Test mode only: press a button on the challenge page like the customer; prints where it redirects.
answer_challenge() { # PAGE_URL BUTTON_TEXT
  local html action fields=() name value
  html=$(curl --silent --show-error --max-time 10 "$1")
  while read -r name value; do
    fields+=(--data-urlencode "$name=$value")
  done < <(sed -n 's/.*<input[^>]* name="\([^"]*\)"[^>]* value="\([^"]*\)".*/\1 \2/p' <<<"$html")
  read -r name value < <(sed -n "s/.*<button[^>]* name=\"\([^\"]*\)\"[^>]* value=\"\([^\"]*\)\"[^>]*>$2<.*/\1 \2/p" <<<"$html")
  fields+=(--data-urlencode "$name=$value")
  action=$(sed -n 's/.*<form[^>]* action="\([^"]*\)".*/\1/p' <<<"$html")
  [[ $action == /* ]] && action=$(sed 's|^\(https://[^/]*\).*|\1|' <<<"$1")$action
  # snippet-rules: idempotency-key (the customer's browser submits the challenge form)
  curl --silent --show-error --max-time 10 --output /dev/null --write-out '%{redirect_url}' \
    "${fields[@]}" "$action"
}

# No challenge: a card without 3-D Secure, a frictionless approval, an issuer's exemption.
for order_and_card in "order-3001 4111111111111111" "order-3002 4000040000010122" "order-3003 4000040000010148"; do
  read -r order_id number <<<"$order_and_card"
  start_payment "$order_id" "$number"
  echo "$order_id -> $NEXT; $(jq -r '"3-D Secure: \(.three_d_secure.flow), liability shift: \(.three_d_secure.liability_shift // false)"' <<<"$BODY")"
done

# A challenge: the customer completes it at their bank.
start_payment order-4001 4000040000010114
echo "order-4001 -> $NEXT"
challenge_url=$(jq -r .next_action.url <<<"$BODY")
# Back before answering the challenge (or a forged visit): nothing is fulfilled.
handle_return "payment_id=${order_payment[order-4001]}"
redirect=$(answer_challenge "$challenge_url" "Complete authentication")
path=/${redirect#*://*/}
echo "returned to: ${path%%\?*}"
handle_return "${redirect#*\?}"
echo "${order_status[order-4001]} liability shift: ${order_shift[order-4001]}"

# The customer fails the challenge: a customer-safe message, and a new attempt next time.
start_payment order-4002 4000040000010114
redirect=$(answer_challenge "$(jq -r .next_action.url <<<"$BODY")" "Fail authentication")
handle_return "${redirect#*\?}"
echo "order-4002 next attempt: ${order_attempt[order-4002]}"

handle_return "payment_id=pay_not_one_of_ours"
# Output:
# order-3001 -> fulfil; 3-D Secure: null, liability shift: false
# order-3002 -> fulfil; 3-D Secure: frictionless, liability shift: true
# order-3003 -> fulfil; 3-D Secure: exemption, liability shift: false
# order-4001 -> redirect
# Your bank has not confirmed this payment yet.
# returned to: /payments/return
# Thank you! Order order-4001 is confirmed.
# paid liability shift: true
# We could not confirm this payment with your bank. Please try again or use a different card.
# order-4002 next attempt: 2
# We could not find your payment.
