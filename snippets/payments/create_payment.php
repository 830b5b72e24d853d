<?php
// Create a payment with the Direct API; turn a decline into a message safe to show the customer.
// PHP 8.2 or later with the curl extension, no Composer packages: php create_payment.php
declare(strict_types=1);

const GENERIC_MESSAGE = "Your card was declined. Please use a different card or contact your bank.";
// Fraud-related codes get the generic message: never tell a customer why.
const CUSTOMER_MESSAGES = [
    'insufficient_funds' => "Your card has insufficient funds. Please use a different card.",
    'expired_card' => "Your card has expired. Please use a different card.",
    'generic_decline' => GENERIC_MESSAGE,
    'incorrect_cvc' => "Your card's security code is incorrect. Please check it and try again.",
    'lost_card' => GENERIC_MESSAGE,
    'stolen_card' => GENERIC_MESSAGE,
    'do_not_honor' => GENERIC_MESSAGE,
    'card_velocity_exceeded' => "Your card has reached its spending limit. Please use a different card or contact your bank.",
    'fraudulent' => GENERIC_MESSAGE,
    'processing_error' => "We could not process your card. Please try again in a moment.",
    'authentication_required' => "Your bank needs you to confirm this payment. Please try again and complete the verification.",
    'authentication_failed' => "We could not confirm this payment with your bank. Please try again or use a different card.",
    'test_mode_live_card' => GENERIC_MESSAGE,
];

final class FlowlixError extends Exception
{
    public function __construct(public readonly int $status, public readonly array $error, public readonly ?string $requestId)
    {
        parent::__construct("$status {$error['type']} {$error['code']} (request id $requestId)");
    }
}

final class NetworkError extends Exception
{
}

final class Flowlix
{
    public function __construct(private string $apiKey, private string $apiBase = 'https://api.flowlix.eu/v1')
    {
    }

    public function request(string $method, string $path, ?array $body = null, ?string $idempotencyKey = null): array
    {
        $headers = ["Authorization: Bearer {$this->apiKey}"];
        if ($idempotencyKey !== null) {
            $headers[] = "Idempotency-Key: $idempotencyKey";
        }
        $options = [
            CURLOPT_CUSTOMREQUEST => $method,
            CURLOPT_RETURNTRANSFER => true,
            CURLOPT_CONNECTTIMEOUT => 5,
            CURLOPT_TIMEOUT => 10, // never wait forever on the network
        ];
        if ($body !== null) {
            $headers[] = 'Content-Type: application/json';
            $options[CURLOPT_POSTFIELDS] = json_encode($body, JSON_THROW_ON_ERROR);
        }
        $responseHeaders = [];
        $options[CURLOPT_HTTPHEADER] = $headers;
        $options[CURLOPT_HEADERFUNCTION] = function ($curl, string $line) use (&$responseHeaders): int {
            if (str_contains($line, ':')) {
                [$name, $value] = explode(':', $line, 2);
                $responseHeaders[strtolower($name)] = trim($value);
            }
            return strlen($line);
        };
        $curl = curl_init($this->apiBase . $path);
        curl_setopt_array($curl, $options);
        $raw = curl_exec($curl);
        if ($raw === false) {
            throw new NetworkError(curl_error($curl));
        }
        $status = curl_getinfo($curl, CURLINFO_RESPONSE_CODE);
        // Flowlix support finds any call by its request id: keep it in your logs.
        $requestId = $responseHeaders['flowlix-request-id'] ?? null;
        fwrite(STDERR, "$method $path -> $status request_id=$requestId\n");
        $data = json_decode($raw, true) ?? ['error' => ['type' => 'api_error', 'code' => null]];
        if ($status >= 400) {
            throw new FlowlixError($status, $data['error'], $requestId);
        }
        return $data;
    }
}

// --8<-- [start:focus]
// One key per payment attempt: a retry of this attempt reuses it, a new attempt gets a new one.
function create_payment(Flowlix $flowlix, string $orderId, int $attempt, int $amount, string $currency, array $card): array
{
    return $flowlix->request('POST', '/payments', body: [
        'amount' => $amount, 'currency' => $currency, 'card' => $card, 'reference' => $orderId,
    ], idempotencyKey: "payment-$orderId-$attempt");
}
// --8<-- [end:focus]

function checkout(Flowlix $flowlix, string $orderId, array $card): void
{
    try {
        $payment = create_payment($flowlix, $orderId, 1, 4999, 'EUR', $card);
        echo "{$payment['id']} {$payment['status']} {$payment['amount']} {$payment['currency']}\n";
        echo "{$payment['card']['brand']} ending in {$payment['card']['last4']}\n";
    } catch (FlowlixError $error) {
        if ($error->error['type'] !== 'card_error') {
            throw $error;
        }
        // Keep the real reason for your team; show the customer only the safe message.
        $declineCode = $error->error['decline_code'] ?? '';
        fwrite(STDERR, "$orderId declined: $declineCode request_id={$error->requestId}\n");
        echo "$orderId: " . (CUSTOMER_MESSAGES[$declineCode] ?? GENERIC_MESSAGE) . "\n";
    }
}

$apiKey = getenv('FLOWLIX_API_KEY');
if (!$apiKey) {
    fwrite(STDERR, "FLOWLIX_API_KEY is not set: export your Flowlix secret key and run again.\n");
    exit(1);
}
$flowlix = new Flowlix($apiKey, getenv('FLOWLIX_API_BASE') ?: 'https://api.flowlix.eu/v1');
try {
    checkout($flowlix, 'order-1234', ['number' => '4111111111111111', 'exp_month' => 12, 'exp_year' => 2030, 'cvc' => '123']);
    checkout($flowlix, 'order-1235', ['number' => '4000040000010015', 'exp_month' => 12, 'exp_year' => 2030, 'cvc' => '123']);
} catch (FlowlixError $error) {
    fwrite(STDERR, "payment failed: {$error->getMessage()}\n");
    exit(1);
} catch (NetworkError $error) {
    fwrite(STDERR, "could not reach Flowlix: {$error->getMessage()}\n");
    exit(1);
}
// Output:
// pay_fVIAcjCQFuhDBBPzl4QVqbNG succeeded 4999 EUR
// visa ending in 1111
// order-1235: Your card has insufficient funds. Please use a different card.
