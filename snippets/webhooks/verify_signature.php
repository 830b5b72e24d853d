<?php
// Verify a webhook signature by hand (Standard Webhooks: `v1,<base64 HMAC-SHA256>`).
// PHP 8.2 or later, no Composer packages: php verify_signature.php
declare(strict_types=1);

const TOLERANCE_SECONDS = 5 * 60;

// Reject the delivery with HTTP 400 and do nothing with it.
final class InvalidWebhook extends Exception
{
}

/**
 * The event if the delivery is genuine and fresh; throws InvalidWebhook otherwise.
 *
 * $rawBody must be the bytes as received, file_get_contents('php://input'): parsing and
 * re-encoding the JSON changes them, and the signature no longer matches. In a web request the
 * headers are $_SERVER['HTTP_WEBHOOK_ID'], $_SERVER['HTTP_WEBHOOK_TIMESTAMP'] and
 * $_SERVER['HTTP_WEBHOOK_SIGNATURE'].
 */
function verify_webhook(string $secret, array $headers, string $rawBody, ?int $now = null): array
{
    $headers = array_change_key_case($headers, CASE_LOWER);
    $id = $headers['webhook-id'] ?? '';
    $timestamp = $headers['webhook-timestamp'] ?? '';
    $signatures = $headers['webhook-signature'] ?? '';
    if ($id === '' || !ctype_digit($timestamp) || $signatures === '') {
        throw new InvalidWebhook('missing webhook-id, webhook-timestamp or webhook-signature');
    }
    // An old timestamp means a replayed delivery; a future one, a wrong clock somewhere.
    if (abs(($now ?? time()) - (int) $timestamp) > TOLERANCE_SECONDS) {
        throw new InvalidWebhook('timestamp outside the 5-minute tolerance');
    }
    $key = base64_decode(preg_replace('/^whsec_/', '', $secret), true);
    $expected = hash_hmac('sha256', "$id.$timestamp.$rawBody", $key, true);
    // Several signatures, space-separated, arrive while a secret is being rotated.
    foreach (explode(' ', $signatures) as $versioned) {
        [$version, $signature] = array_pad(explode(',', $versioned, 2), 2, '');
        $candidate = base64_decode($signature, true);
        // hash_equals compares in constant time: it leaks nothing.
        if ($version === 'v1' && $candidate !== false && hash_equals($expected, $candidate)) {
            return json_decode($rawBody, true, flags: JSON_THROW_ON_ERROR);
        }
    }
    throw new InvalidWebhook('no valid signature');
}

// What Flowlix does when it sends: used here only to make sample deliveries.
function sign(string $secret, string $id, int $timestamp, string $rawBody): string
{
    $key = base64_decode(preg_replace('/^whsec_/', '', $secret), true);
    return 'v1,' . base64_encode(hash_hmac('sha256', "$id.$timestamp.$rawBody", $key, true));
}

$secret = 'whsec_' . base64_encode(random_bytes(32));
$oldSecret = 'whsec_' . base64_encode(random_bytes(32));
$body = '{"id":"evt_1","object":"event","type":"payment.succeeded","data":{"object":{}}}';
$now = time();
$headers = ['webhook-id' => 'evt_1', 'webhook-timestamp' => (string) $now];

$samples = [
    'genuine' => [sign($secret, 'evt_1', $now, $body), $body, $now],
    'rotating secrets' => [sign($oldSecret, 'evt_1', $now, $body) . ' ' . sign($secret, 'evt_1', $now, $body), $body, $now],
    'body changed' => [sign($secret, 'evt_1', $now, $body), str_replace('evt_1', 'evt_2', $body), $now],
    'signed with another secret' => [sign($oldSecret, 'evt_1', $now, $body), $body, $now],
    'replayed 10 minutes later' => [sign($secret, 'evt_1', $now, $body), $body, $now + 600],
];
foreach ($samples as $name => [$signature, $rawBody, $receivedAt]) {
    try {
        $event = verify_webhook($secret, $headers + ['webhook-signature' => $signature], $rawBody, $receivedAt);
        echo "$name: accepted {$event['type']}\n";
    } catch (InvalidWebhook $error) {
        echo "$name: rejected ({$error->getMessage()})\n";
    }
}

// The Standard Webhooks specification's own example: this code agrees with the specification.
$example = verify_webhook('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', [
    'webhook-id' => 'msg_p5jXN8AQM9LWM0D4loKWxJek',
    'webhook-timestamp' => '1614265330',
    'webhook-signature' => 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
], '{"test": 2432232314}', 1614265330);
echo 'specification example: accepted ' . json_encode($example) . "\n";
// Output:
// genuine: accepted payment.succeeded
// rotating secrets: accepted payment.succeeded
// body changed: rejected (no valid signature)
// signed with another secret: rejected (no valid signature)
// replayed 10 minutes later: rejected (timestamp outside the 5-minute tolerance)
// specification example: accepted {"test":2432232314}
