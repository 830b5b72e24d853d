<?php
// The one retry policy for every Flowlix POST: what to retry, how long to wait, when to stop.
// PHP 8.2 or later with the curl extension, no Composer packages: php retry_with_backoff.php
declare(strict_types=1);

const MAX_ATTEMPTS = 4; // the first attempt and three retries
const BACKOFF_SECONDS = [1, 2, 4]; // full jitter: a random wait up to these before retries 1, 2, 3
const TOTAL_SECONDS = 15; // every attempt and wait together: fits inside a customer's checkout request
const ATTEMPT_TIMEOUT_SECONDS = 10;

final class NetworkError extends Exception
{
}

// 5xx, 429 and 409 idempotency_key_in_use: the request did not run, or its result is kept.
// Every other 4xx is final: the request or the card is wrong, and sending it again changes
// nothing (a decline is a new attempt with a new key, after the customer acts).
function can_succeed_later(int $status, ?array $data): bool
{
    if ($status === 409) {
        return ($data['error']['code'] ?? null) === 'idempotency_key_in_use';
    }
    return $status === 429 || $status >= 500;
}

// Full jitter, on top of any Retry-After: workers that failed together retry apart.
function wait_seconds(int $retry, ?string $retryAfter): float
{
    $cap = BACKOFF_SECONDS[min($retry, count(BACKOFF_SECONDS)) - 1];
    $jitter = $cap * random_int(0, PHP_INT_MAX) / PHP_INT_MAX;
    return (ctype_digit($retryAfter ?? '') ? (int) $retryAfter : 0) + $jitter;
}

/**
 * POST $body, retrying only what can succeed later, with the same key every time. Returns the
 * final [status, data, attempts]; after the last attempt a 5xx still means "unknown": keep the
 * key and finish in the background. Throws NetworkError if no attempt was answered.
 */
function post_with_retries(string $path, array $body, string $idempotencyKey, array $headers = []): array
{
    $apiBase = getenv('FLOWLIX_API_BASE') ?: 'https://api.flowlix.eu/v1';
    $deadline = microtime(true) + TOTAL_SECONDS;
    for ($attempt = 1; $attempt <= MAX_ATTEMPTS; $attempt++) {
        $responseHeaders = [];
        $curl = curl_init($apiBase . $path);
        curl_setopt_array($curl, [
            CURLOPT_POSTFIELDS => json_encode($body, JSON_THROW_ON_ERROR),
            CURLOPT_HTTPHEADER => [
                ...$headers,
                'Authorization: Bearer ' . getenv('FLOWLIX_API_KEY'),
                'Content-Type: application/json',
                "Idempotency-Key: $idempotencyKey",
            ],
            CURLOPT_RETURNTRANSFER => true,
            CURLOPT_CONNECTTIMEOUT => 5,
            CURLOPT_TIMEOUT_MS => (int) (1000 * min(ATTEMPT_TIMEOUT_SECONDS, $deadline - microtime(true))),
            CURLOPT_HEADERFUNCTION => function ($curl, string $line) use (&$responseHeaders): int {
                if (str_contains($line, ':')) {
                    [$name, $value] = explode(':', $line, 2);
                    $responseHeaders[strtolower($name)] = trim($value);
                }
                return strlen($line);
            },
        ]);
        $raw = curl_exec($curl);
        $status = $raw === false ? null : curl_getinfo($curl, CURLINFO_RESPONSE_CODE);
        $data = $raw === false ? null : json_decode($raw, true);
        if ($status === null) { // it may have run: only the same key can tell
            $outcome = 'no answer (' . curl_error($curl) . ')';
        } else {
            $outcome = "$status request_id=" . ($responseHeaders['flowlix-request-id'] ?? '');
            if (!can_succeed_later($status, $data)) {
                fwrite(STDERR, "$idempotencyKey attempt $attempt: $outcome\n");
                return [$status, $data, $attempt];
            }
        }
        $wait = wait_seconds($attempt, $responseHeaders['retry-after'] ?? null);
        if ($attempt === MAX_ATTEMPTS || microtime(true) + $wait >= $deadline) {
            fwrite(STDERR, "$idempotencyKey attempt $attempt: $outcome; giving up\n");
            if ($status === null) {
                throw new NetworkError(curl_error($curl));
            }
            return [$status, $data, $attempt];
        }
        fwrite(STDERR, sprintf("%s attempt %d: %s; retrying in %.1fs\n", $idempotencyKey, $attempt, $outcome, $wait));
        usleep((int) ($wait * 1_000_000));
    }
    throw new LogicException('unreachable: the last attempt returns or throws');
}

function payment_body(string $orderId, string $number, string $currency = 'EUR'): array
{
    $card = ['number' => $number, 'exp_month' => 12, 'exp_year' => 2030, 'cvc' => '123'];
    return ['amount' => 4999, 'currency' => $currency, 'card' => $card, 'reference' => $orderId];
}

if (!getenv('FLOWLIX_API_KEY')) {
    fwrite(STDERR, "FLOWLIX_API_KEY is not set: export your Flowlix secret key and run again.\n");
    exit(1);
}
try {
    // Test mode: the first three attempts fail with 500, the fourth goes through.
    [$status, $data, $attempts] = post_with_retries('/payments', payment_body('order-1234', '4111111111111111'),
        'payment-order-1234-1', ['Flowlix-Simulate: server_error;count=3']);
    echo "$status {$data['status']} after $attempts attempts\n";

    // 429 and 503 carry Retry-After: the wait is at least that long, plus jitter.
    foreach (['order-1238' => 'rate_limit;count=1', 'order-1239' => 'unavailable;count=1'] as $orderId => $simulation) {
        [$status, $data, $attempts] = post_with_retries('/payments', payment_body($orderId, '4111111111111111'),
            "payment-$orderId-1", ["Flowlix-Simulate: $simulation"]);
        echo "$simulation -> $status after $attempts attempts\n";
    }

    // A decline and a bad request are answered at once and never retried.
    foreach ([['order-1235', '4000040000010015', 'EUR'], ['order-1236', '4111111111111111', 'XYZ']] as [$orderId, $number, $currency]) {
        [$status, $data, $attempts] = post_with_retries('/payments', payment_body($orderId, $number, $currency),
            "payment-$orderId-1");
        echo "$status {$data['error']['code']} after $attempts\n";
    }

    // When Flowlix keeps failing, give up after four attempts and report it.
    [$status, $data, $attempts] = post_with_retries('/payments', payment_body('order-1237', '4111111111111111'),
        'payment-order-1237-1', ['Flowlix-Simulate: server_error']);
    echo "$status {$data['error']['type']} after $attempts\n";
} catch (NetworkError $error) {
    fwrite(STDERR, "could not reach Flowlix: {$error->getMessage()}\n");
    exit(1);
}
// Output:
// 201 succeeded after 4 attempts
// rate_limit;count=1 -> 201 after 2 attempts
// unavailable;count=1 -> 201 after 2 attempts
// 402 card_declined after 1
// 400 parameter_invalid after 1
// 500 api_error after 4
