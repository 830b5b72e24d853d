<?php
// Handle the customer's return to success_url: confirm with Flowlix before fulfilling.
// Anyone can open /checkout/success?session_id=... in a browser, so the redirect proves nothing.
// Fulfil only when the session, fetched from the API, says it is paid.
// PHP 8.2 or later with the curl extension, no Composer packages: php success_handler.php
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

// The success_url handler: returns the text for the customer's confirmation page.
function handle_success_redirect(Flowlix $flowlix, string $queryString, array &$orders): string
{
    parse_str($queryString, $query);
    $sessionId = is_string($query['session_id'] ?? null) ? $query['session_id'] : '';
    if (!str_starts_with($sessionId, 'cs_')) {
        return 'We could not find your payment.';
    }
    try {
        $session = $flowlix->request('GET', '/checkout/sessions/' . rawurlencode($sessionId));
    } catch (FlowlixError $error) {
        if ($error->status === 404) {
            return 'We could not find your payment.';
        }
        throw $error;
    }
    $order = $orders[$session['reference']] ?? null;
    if ($order === null || $session['amount'] !== $order['amount']) {
        return 'We could not match your payment to an order; our team will contact you.';
    }
    if ($session['payment_status'] !== 'paid') {
        return 'Your payment is not complete yet.';
    }
    if ($order['status'] !== 'paid') { // fulfil once, however often the page is reloaded
        $orders[$session['reference']] = ['status' => 'paid', 'payment_id' => $session['payment']] + $order;
    }
    return "Thank you! Order {$session['reference']} is confirmed.";
}

// Test mode only: fill in the hosted page like a customer; returns where it redirects.
function pay_on_hosted_page(string $pageUrl, array $cardForm): string
{
    $curl = curl_init($pageUrl);
    curl_setopt_array($curl, [
        // snippet-rules: idempotency-key (the customer's browser submits the hosted page form)
        CURLOPT_POSTFIELDS => http_build_query($cardForm),
        CURLOPT_RETURNTRANSFER => true,
        CURLOPT_CONNECTTIMEOUT => 5,
        CURLOPT_TIMEOUT => 10,
    ]);
    if (curl_exec($curl) === false) {
        throw new NetworkError(curl_error($curl));
    }
    return curl_getinfo($curl, CURLINFO_REDIRECT_URL) ?: '';
}

$apiKey = getenv('FLOWLIX_API_KEY');
if (!$apiKey) {
    fwrite(STDERR, "FLOWLIX_API_KEY is not set: export your Flowlix secret key and run again.\n");
    exit(1);
}
$flowlix = new Flowlix($apiKey, getenv('FLOWLIX_API_BASE') ?: 'https://api.flowlix.eu/v1');
try {
    $orders = ['order-1234' => ['amount' => 4999, 'status' => 'awaiting payment', 'payment_id' => null]];
    $cardForm = ['card_number' => '4111 1111 1111 1111', 'expiry' => '12/30', 'cvc' => '123'];
    $session = $flowlix->request('POST', '/checkout/sessions', body: [
        'amount' => 4999,
        'currency' => 'EUR',
        'reference' => 'order-1234',
        'success_url' => 'http://localhost:8000/checkout/success',
        'cancel_url' => 'http://localhost:8000/checkout/cancel',
    ], idempotencyKey: 'checkout-order-1234-1');

    // A forged visit before paying does not fulfil anything.
    echo handle_success_redirect($flowlix, "session_id={$session['id']}", $orders) . "\n";

    $redirect = pay_on_hosted_page($session['url'], $cardForm);
    echo 'redirected to: ' . parse_url($redirect, PHP_URL_PATH) . "\n";
    echo handle_success_redirect($flowlix, parse_url($redirect, PHP_URL_QUERY) ?? '', $orders) . "\n";
    echo "{$orders['order-1234']['status']} {$orders['order-1234']['payment_id']}\n";
} catch (FlowlixError $error) {
    fwrite(STDERR, "Flowlix answered {$error->getMessage()}\n");
    exit(1);
} catch (NetworkError $error) {
    fwrite(STDERR, "could not reach Flowlix: {$error->getMessage()}\n");
    exit(1);
}
// Output:
// Your payment is not complete yet.
// redirected to: /checkout/success
// Thank you! Order order-1234 is confirmed.
// paid pay_Q2JbKDoYZRZICNvKLi4mzE0h
