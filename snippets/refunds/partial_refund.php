<?php
// Refund part of a payment; number each refund of an order so each key means one refund.
// PHP 8.2 or later with the curl extension, no Composer packages: php partial_refund.php
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
// Refund $amount minor units as the order's refund number $refundNumber.
function refund_part(Flowlix $flowlix, string $orderId, int $refundNumber, string $paymentId, int $amount): array
{
    return $flowlix->request('POST', '/refunds', body: [
        'payment' => $paymentId, 'amount' => $amount, 'reason' => 'requested_by_customer',
    ], idempotencyKey: "refund-$orderId-$refundNumber");
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
    echo refund_part($flowlix, 'order-1234', 1, $payment['id'], 1000)['amount'] . "\n";
    echo refund_part($flowlix, 'order-1234', 2, $payment['id'], 1500)['amount'] . "\n";

    $payment = $flowlix->request('GET', "/payments/{$payment['id']}");
    echo "refunded so far: {$payment['amount_refunded']} fully: " . var_export($payment['refunded'], true) . "\n";

    try {
        refund_part($flowlix, 'order-1234', 3, $payment['id'], 5000);
    } catch (FlowlixError $error) {
        if ($error->status !== 400) {
            throw $error;
        }
        echo "refused: {$error->error['code']}\n";
    }
} catch (FlowlixError $error) {
    fwrite(STDERR, "Flowlix answered {$error->getMessage()}\n");
    exit(1);
} catch (NetworkError $error) {
    fwrite(STDERR, "could not reach Flowlix: {$error->getMessage()}\n");
    exit(1);
}
// Output:
// 1000
// 1500
// refunded so far: 2500 fully: false
// refused: amount_too_large
