<?php
// List payments page by page, newest first, with `limit` and `starting_after`.
// PHP 8.2 or later with the curl extension, no Composer packages: php list_payments.php
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
// Every payment matching the filters (such as ['status' => 'failed']), fetching page by page.
function iter_payments(Flowlix $flowlix, int $pageSize = 100, array $filters = []): Generator
{
    $params = ['limit' => $pageSize] + $filters;
    while (true) {
        $page = $flowlix->request('GET', '/payments?' . http_build_query($params));
        yield from $page['data'];
        if (!$page['has_more']) {
            return;
        }
        $params['starting_after'] = end($page['data'])['id'];
    }
}
// --8<-- [end:focus]

$apiKey = getenv('FLOWLIX_API_KEY');
if (!$apiKey) {
    fwrite(STDERR, "FLOWLIX_API_KEY is not set: export your Flowlix secret key and run again.\n");
    exit(1);
}
$flowlix = new Flowlix($apiKey, getenv('FLOWLIX_API_BASE') ?: 'https://api.flowlix.eu/v1');
try {
    $cards = [
        'order-1001' => '4111111111111111',
        'order-1002' => '4000040000010015', // declined: insufficient funds
        'order-1003' => '5555555555554444',
    ];
    foreach ($cards as $orderId => $number) {
        try {
            $flowlix->request('POST', '/payments', body: [
                'amount' => 1000, 'currency' => 'EUR', 'reference' => $orderId,
                'card' => ['number' => $number, 'exp_month' => 12, 'exp_year' => 2030, 'cvc' => '123'],
            ], idempotencyKey: "payment-$orderId-1");
        } catch (FlowlixError $error) {
            if ($error->error['type'] !== 'card_error') {
                throw $error;
            }
        }
    }
    // A small page size shows the paging; use up to 100 in production.
    foreach (iter_payments($flowlix, 2) as $payment) {
        echo "{$payment['id']} {$payment['reference']} {$payment['status']}\n";
    }
    $failed = array_column(iterator_to_array(iter_payments($flowlix, 100, ['status' => 'failed']), false), 'reference');
    echo 'failed: ' . implode(', ', $failed) . "\n";
} catch (FlowlixError $error) {
    fwrite(STDERR, "Flowlix answered {$error->getMessage()}\n");
    exit(1);
} catch (NetworkError $error) {
    fwrite(STDERR, "could not reach Flowlix: {$error->getMessage()}\n");
    exit(1);
}
// Output:
// pay_uDiWjQNOl8gSTrMcl7F050Nn order-1003 succeeded
// pay_x0swYBnVT26LX8iP71FCt19K order-1002 failed
// pay_QeyP5NC0Wf1TBxOgwYMAl8EX order-1001 succeeded
// failed: order-1002
