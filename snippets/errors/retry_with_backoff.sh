#!/usr/bin/env bash
# The one retry policy for every Flowlix POST: what to retry, how long to wait, when to stop.
# Needs bash 4 or later, curl and jq: FLOWLIX_API_KEY=... bash retry_with_backoff.sh
# Test cards only: a shell script is no place for real card numbers (the process list shows them).
set -euo pipefail

API_BASE=${FLOWLIX_API_BASE:-https://api.flowlix.eu/v1}
if [[ -z ${FLOWLIX_API_KEY:-} ]]; then
  echo "FLOWLIX_API_KEY is not set: export your Flowlix secret key and run again." >&2
  exit 1
fi

MAX_ATTEMPTS=4          # the first attempt and three retries
BACKOFF_SECONDS=(1 2 4) # full jitter: a random wait up to these before retries 1, 2, 3
TOTAL_SECONDS=15        # every attempt and wait together: fits inside a customer's checkout request
ATTEMPT_TIMEOUT_SECONDS=10

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 5xx, 429 and 409 idempotency_key_in_use: the request did not run, or its result is kept.
# Every other 4xx is final: the request or the card is wrong, and sending it again changes
# nothing (a decline is a new attempt with a new key, after the customer acts).
can_succeed_later() { # STATUS BODY
  if [[ $1 == 409 ]]; then
    [[ $(jq -r '.error.code? // ""' <<<"$2" 2>/dev/null) == idempotency_key_in_use ]]
  else
    (($1 == 429 || $1 >= 500))
  fi
}

# Full jitter, on top of any Retry-After: workers that failed together retry apart.
wait_seconds() { # RETRY RETRY_AFTER: prints seconds, to the millisecond
  local cap=${BACKOFF_SECONDS[$(($1 > ${#BACKOFF_SECONDS[@]} ? ${#BACKOFF_SECONDS[@]} - 1 : $1 - 1))]}
  local jitter_ms=$((RANDOM % (cap * 1000 + 1)))
  local retry_after_ms=0
  [[ $2 =~ ^[0-9]+$ ]] && retry_after_ms=$(($2 * 1000))
  local total_ms=$((retry_after_ms + jitter_ms))
  printf '%d.%03d\n' $((total_ms / 1000)) $((total_ms % 1000))
}

# post_with_retries PATH IDEMPOTENCY_KEY BODY_FILE [curl options]: POST, retrying only what can
# succeed later, with the same key every time. Sets STATUS, BODY and ATTEMPTS; after the last
# attempt a 5xx still means "unknown": keep the key and finish in the background. Exits with a
# message if no attempt was answered.
post_with_retries() {
  local path=$1 key=$2 body=$3 deadline=$((SECONDS + TOTAL_SECONDS))
  local attempt outcome retry_after wait request_id name value
  shift 3
  for ((attempt = 1; attempt <= MAX_ATTEMPTS; attempt++)); do
    ATTEMPTS=$attempt
    retry_after="" request_id=""
    if STATUS=$(curl --silent --show-error --max-time "$ATTEMPT_TIMEOUT_SECONDS" --connect-timeout 5 \
      "$API_BASE$path" --header "Authorization: Bearer $FLOWLIX_API_KEY" \
      --header "Content-Type: application/json" --header "Idempotency-Key: $key" \
      --data @"$body" --dump-header "$work/headers" --output "$work/body" --write-out '%{http_code}' \
      "$@" 2>"$work/error"); then
      BODY=$(<"$work/body")
      while IFS=': ' read -r name value; do
        case ${name,,} in
          flowlix-request-id) request_id=${value%$'\r'} ;;
          retry-after) retry_after=${value%$'\r'} ;;
        esac
      done <"$work/headers"
      outcome="$STATUS request_id=$request_id"
      if ! can_succeed_later "$STATUS" "$BODY"; then
        echo "$key attempt $attempt: $outcome" >&2
        return 0
      fi
    else # it may have run: only the same key can tell
      STATUS=""
      outcome="no answer ($(head -n 1 "$work/error"))"
    fi
    wait=$(wait_seconds "$attempt" "$retry_after")
    if ((attempt == MAX_ATTEMPTS || SECONDS + ${wait%.*} + 1 >= deadline)); then
      echo "$key attempt $attempt: $outcome; giving up" >&2
      if [[ -z $STATUS ]]; then
        echo "could not reach Flowlix: $(head -n 1 "$work/error")" >&2
        exit 1
      fi
      return 0
    fi
    echo "$key attempt $attempt: $outcome; retrying in ${wait}s" >&2
    sleep "$wait"
  done
}

payment_body() { # ORDER_ID CARD_NUMBER [CURRENCY]: writes the request body to $work/request
  jq -n --arg order "$1" --arg number "$2" --arg currency "${3:-EUR}" \
    '{amount: 4999, currency: $currency, reference: $order,
      card: {number: $number, exp_month: 12, exp_year: 2030, cvc: "123"}}' >"$work/request"
}

# Test mode: the first three attempts fail with 500, the fourth goes through.
payment_body order-1234 4111111111111111
post_with_retries /payments payment-order-1234-1 "$work/request" \
  --header "Flowlix-Simulate: server_error;count=3"
echo "$STATUS $(jq -r .status <<<"$BODY") after $ATTEMPTS attempts"

# 429 and 503 carry Retry-After: the wait is at least that long, plus jitter.
for order_and_simulation in "order-1238 rate_limit;count=1" "order-1239 unavailable;count=1"; do
  read -r order_id simulation <<<"$order_and_simulation"
  payment_body "$order_id" 4111111111111111
  post_with_retries /payments "payment-$order_id-1" "$work/request" \
    --header "Flowlix-Simulate: $simulation"
  echo "$simulation -> $STATUS after $ATTEMPTS attempts"
done

# A decline and a bad request are answered at once and never retried.
payment_body order-1235 4000040000010015
post_with_retries /payments payment-order-1235-1 "$work/request"
echo "$STATUS $(jq -r .error.code <<<"$BODY") after $ATTEMPTS"
payment_body order-1236 4111111111111111 XYZ
post_with_retries /payments payment-order-1236-1 "$work/request"
echo "$STATUS $(jq -r .error.code <<<"$BODY") after $ATTEMPTS"

# When Flowlix keeps failing, give up after four attempts and report it.
payment_body order-1237 4111111111111111
post_with_retries /payments payment-order-1237-1 "$work/request" --header "Flowlix-Simulate: server_error"
echo "$STATUS $(jq -r .error.type <<<"$BODY") after $ATTEMPTS"
# Output:
# 201 succeeded after 4 attempts
# rate_limit;count=1 -> 201 after 2 attempts
# unavailable;count=1 -> 201 after 2 attempts
# 402 card_declined after 1
# 400 parameter_invalid after 1
# 500 api_error after 4
