#!/usr/bin/env bash
# Verify a webhook signature by hand (Standard Webhooks: `v1,<base64 HMAC-SHA256>`).
# Needs bash, openssl and jq: bash verify_signature.sh. Handy in a test or an ops script; in your
# receiver, use your web stack's language.
set -euo pipefail

TOLERANCE_SECONDS=$((5 * 60))

# hmac SECRET ID TIMESTAMP BODY_FILE: the base64 HMAC-SHA256 over "ID.TIMESTAMP.BODY".
hmac() {
  local key
  key=$(printf %s "${1#whsec_}" | openssl base64 -d -A | od -An -vtx1 | tr -d ' \n')
  { printf '%s.%s.' "$2" "$3"; cat "$4"; } |
    openssl dgst -sha256 -mac HMAC -macopt "hexkey:$key" -binary | openssl base64 -A
}

# verify_webhook SECRET ID TIMESTAMP SIGNATURES BODY_FILE [NOW]: exit 0 if genuine and fresh;
# otherwise prints why on stdout and fails. BODY_FILE holds the bytes exactly as received.
verify_webhook() {
  local id=$2 timestamp=$3 signatures=$4 body=$5 now=${6:-$(date +%s)} expected versioned
  if [[ -z $id || ! $timestamp =~ ^[0-9]+$ || -z $signatures ]]; then
    echo "missing webhook-id, webhook-timestamp or webhook-signature"
    return 1
  fi
  # An old timestamp means a replayed delivery; a future one, a wrong clock somewhere.
  if ((now - timestamp > TOLERANCE_SECONDS || timestamp - now > TOLERANCE_SECONDS)); then
    echo "timestamp outside the 5-minute tolerance"
    return 1
  fi
  expected=$(hmac "$1" "$id" "$timestamp" "$body" | openssl dgst -sha256)
  # Several signatures, space-separated, arrive while a secret is being rotated. Comparing
  # digests of both sides keeps the comparison's time independent of how much matched.
  for versioned in $signatures; do
    if [[ ${versioned%%,*} == v1 && $(printf %s "${versioned#*,}" | openssl base64 -d -A | openssl base64 -A | openssl dgst -sha256) == "$expected" ]]; then
      return 0
    fi
  done
  echo "no valid signature"
  return 1
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
secret="whsec_$(openssl rand -base64 32)"
old_secret="whsec_$(openssl rand -base64 32)"
printf %s '{"id":"evt_1","object":"event","type":"payment.succeeded","data":{"object":{}}}' >"$work/body"
sed 's/evt_1/evt_2/' "$work/body" >"$work/changed"
now=$(date +%s)
good=v1,$(hmac "$secret" evt_1 "$now" "$work/body")
old=v1,$(hmac "$old_secret" evt_1 "$now" "$work/body")

check() { # NAME SIGNATURES BODY_FILE RECEIVED_AT
  local why
  if why=$(verify_webhook "$secret" evt_1 "$now" "$2" "$3" "$4"); then
    echo "$1: accepted $(jq -r .type "$3")"
  else
    echo "$1: rejected ($why)"
  fi
}
check "genuine" "$good" "$work/body" "$now"
check "rotating secrets" "$old $good" "$work/body" "$now"
check "body changed" "$good" "$work/changed" "$now"
check "signed with another secret" "$old" "$work/body" "$now"
check "replayed 10 minutes later" "$good" "$work/body" $((now + 600))

# The Standard Webhooks specification's own example: this code agrees with the specification.
printf %s '{"test": 2432232314}' >"$work/example"
verify_webhook whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw msg_p5jXN8AQM9LWM0D4loKWxJek 1614265330 \
  v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE= "$work/example" 1614265330
echo "specification example: accepted $(jq -c . "$work/example")"
# Output:
# genuine: accepted payment.succeeded
# rotating secrets: accepted payment.succeeded
# body changed: rejected (no valid signature)
# signed with another secret: rejected (no valid signature)
# replayed 10 minutes later: rejected (timestamp outside the 5-minute tolerance)
# specification example: accepted {"test":2432232314}
