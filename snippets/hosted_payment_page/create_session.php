<?php
// Create a checkout session and send the customer to the Hosted Payment Page.
// PHP 8.2 or later with the curl extension, no Composer packages: php create_session.php
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

// A session for the order's payment attempt; redirect the customer's browser to its `url`.
// Card details are typed into Flowlix's page, never into yours: this keeps your servers out of
// most of the PCI DSS scope that the Direct API brings.
function create_checkout_session(Flowlix $flowlix, string $orderId, int $attempt, int $amount, string $currency, string $description): array
{
    $shopUrl = getenv('SHOP_URL') ?: 'https://shop.example.com';
    return $flowlix->request('POST', '/checkout/sessions', body: [
        'amount' => $amount,
        'currency' => $currency,
        'reference' => $orderId,
        'description' => $description,
        'success_url' => "$shopUrl/checkout/success",
        'cancel_url' => "$shopUrl/checkout/cancel?order=" . rawurlencode($orderId),
    ], idempotencyKey: "checkout-$orderId-$attempt");
}

$apiKey = getenv('FLOWLIX_API_KEY');
if (!$apiKey) {
    fwrite(STDERR, "FLOWLIX_API_KEY is not set: export your Flowlix secret key and run again.\n");
    exit(1);
}
$flowlix = new Flowlix($apiKey, getenv('FLOWLIX_API_BASE') ?: 'https://api.flowlix.eu/v1');
try {
    $session = create_checkout_session($flowlix, 'order-1234', 1, 4999, 'EUR', '2 x Coffee beans');
    echo "{$session['id']} {$session['status']} {$session['payment_status']} {$session['amount']}\n";
    echo 'redirect the customer (303) to an https page: '
        . var_export(parse_url($session['url'], PHP_URL_SCHEME) === 'https', true) . "\n";
    echo "success_url: {$session['success_url']}\n";
} catch (FlowlixError $error) {
    fwrite(STDERR, "Flowlix answered {$error->getMessage()}\n");
    exit(1);
} catch (NetworkError $error) {
    fwrite(STDERR, "could not reach Flowlix: {$error->getMessage()}\n");
    exit(1);
}
// Output:
// cs_0YwdcPewRgLfhkdFwzQCGhSq open unpaid 4999
// redirect the customer (303) to an https page: true
// success_url: https://shop.example.com/checkout/success
