<?php
// Refund a payment in full; the Idempotency-Key makes a retried refund pay back once.
// PHP 8.2 or later with the curl extension, no Composer packages: php full_refund.php
declare(strict_types=1);

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
// Refund what is left of the payment. The key names the order's first refund.
function refund_in_full(Flowlix $flowlix, string $orderId, string $paymentId): array
{
    return $flowlix->request('POST', '/refunds', body: [
        'payment' => $paymentId, 'reason' => 'requested_by_customer',
    ], idempotencyKey: "refund-$orderId-1");
}
// --8<-- [end:focus]

$apiKey = getenv('FLOWLIX_API_KEY');
if (!$apiKey) {
    fwrite(STDERR, "FLOWLIX_API_KEY is not set: export your Flowlix secret key and run again.\n");
    exit(1);
}
$flowlix = new Flowlix($apiKey, getenv('FLOWLIX_API_BASE') ?: 'https://api.flowlix.eu/v1');
try {
    $card = ['number' => '4111111111111111', 'exp_month' => 12, 'exp_year' => 2030, 'cvc' => '123'];
    $payment = $flowlix->request('POST', '/payments', body: [
        'amount' => 4999, 'currency' => 'EUR', 'card' => $card, 'reference' => 'order-1234',
    ], idempotencyKey: 'payment-order-1234-1');
    $refund = refund_in_full($flowlix, 'order-1234', $payment['id']);
    echo "{$refund['id']} {$refund['status']} {$refund['amount']} {$refund['currency']}\n";

    // The answer got lost and the job runs again: same key, same refund, no second payout.
    $again = refund_in_full($flowlix, 'order-1234', $payment['id']);
    echo 'same refund: ' . var_export($again['id'] === $refund['id'], true) . "\n";

    $payment = $flowlix->request('GET', "/payments/{$payment['id']}");
    echo 'refunded: ' . var_export($payment['refunded'], true) . " {$payment['amount_refunded']}\n";
} catch (FlowlixError $error) {
    fwrite(STDERR, "Flowlix answered {$error->getMessage()}\n");
    exit(1);
} catch (NetworkError $error) {
    fwrite(STDERR, "could not reach Flowlix: {$error->getMessage()}\n");
    exit(1);
}
// Output:
// re_8y71mmqq7qHydIv91n4LKeYk succeeded 4999 EUR
// same refund: true
// refunded: true 4999
