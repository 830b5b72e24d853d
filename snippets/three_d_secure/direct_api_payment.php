<?php
// A Direct API payment that may need 3-D Secure: send a return_url; when the payment is
// requires_action, send the customer's browser to next_action.url; when the browser comes back,
// retrieve the payment and act on its status (the redirect back proves nothing).
// PHP 8.2 or later with the curl extension, no Composer packages: php direct_api_payment.php
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

const GENERIC_MESSAGE = "Your card was declined. Please use a different card or contact your bank.";
const CUSTOMER_MESSAGES = [
    'authentication_failed' => "We could not confirm this payment with your bank. Please try again or use a different card.",
    'insufficient_funds' => "Your card has insufficient funds. Please use a different card.",
];

// Your return handler. Live: an https URL of your shop; test mode also takes http://localhost.
function return_url(): string
{
    return getenv('SHOP_RETURN_URL') ?: 'http://localhost:8000/payments/return';
}

// Create the payment; returns what the checkout does next: fulfil, redirect or decline.
function start_payment(Flowlix $flowlix, array &$order, array $card): array
{
    try {
        $payment = $flowlix->request('POST', '/payments', body: [
            'amount' => $order['amount'], 'currency' => 'EUR', 'card' => $card,
            'reference' => $order['id'], 'return_url' => return_url(),
        ], idempotencyKey: "payment-{$order['id']}-{$order['attempt']}");
    } catch (FlowlixError $error) {
        if ($error->error['type'] !== 'card_error') {
            throw $error;
        }
        return ['next' => 'decline', 'decline_code' => $error->error['decline_code'] ?? null];
    }
    $order['payment_id'] = $payment['id']; // store it now: the return handler finds the order by it
    return match ($payment['status']) {
        // Nothing is charged yet. Answer the customer's request with a 303 to this URL.
        'requires_action' => ['next' => 'redirect', 'url' => $payment['next_action']['url']],
        'succeeded' => ['next' => 'fulfil', 'three_d_secure' => $payment['three_d_secure']],
        default => ['next' => 'decline', 'decline_code' => $payment['decline_code']],
    };
}

// --8<-- [start:return]
// The return_url handler: returns the text for the customer's page.
function handle_return(Flowlix $flowlix, string $queryString, array &$orders): string
{
    parse_str($queryString, $query);
    $paymentId = is_string($query['payment_id'] ?? null) ? $query['payment_id'] : '';
    // Only a payment this shop started: its id was stored with the order.
    $matches = array_filter($orders, fn (array $order): bool => $order['payment_id'] === $paymentId);
    if (!$matches || !str_starts_with($paymentId, 'pay_')) {
        return 'We could not find your payment.';
    }
    $orderId = array_key_first($matches);
    $order = &$orders[$orderId];
    $payment = $flowlix->request('GET', '/payments/' . rawurlencode($paymentId));
    if ($payment['reference'] !== $orderId || $payment['amount'] !== $order['amount']) {
        return 'We could not match your payment to an order; our team will contact you.';
    }
    if ($payment['status'] === 'succeeded') {
        if ($order['status'] !== 'paid') { // fulfil once, however often the page is reloaded
            $order['status'] = 'paid';
            $order['liability_shift'] = $payment['three_d_secure']['liability_shift'];
        }
        return "Thank you! Order $orderId is confirmed.";
    }
    if ($payment['status'] === 'failed') {
        // Another try is a new payment attempt, with a new Idempotency-Key.
        $order['status'] = 'awaiting payment';
        $order['attempt']++;
        return CUSTOMER_MESSAGES[$payment['decline_code']] ?? GENERIC_MESSAGE;
    }
    // requires_action (back without answering) or a status added later: not paid.
    return 'Your bank has not confirmed this payment yet.';
}

// --8<-- [end:return]

// Test mode only: press a button on the challenge page like the customer; returns where it redirects.
function answer_challenge(string $pageUrl, string $buttonText): string
{
    $curl = curl_init($pageUrl);
    curl_setopt_array($curl, [CURLOPT_RETURNTRANSFER => true, CURLOPT_CONNECTTIMEOUT => 5, CURLOPT_TIMEOUT => 10]);
    $html = curl_exec($curl);
    if ($html === false) {
        throw new NetworkError(curl_error($curl));
    }
    preg_match_all('/<input[^>]*\sname="([^"]+)"[^>]*\svalue="([^"]*)"/', $html, $inputs, PREG_SET_ORDER);
    $form = array_column($inputs, 2, 1);
    preg_match_all('/<button[^>]*\sname="([^"]+)"[^>]*\svalue="([^"]*)"[^>]*>([^<]*)</', $html, $buttons, PREG_SET_ORDER);
    foreach ($buttons as [, $name, $value, $text]) {
        if (trim($text) === $buttonText) {
            $form[$name] = $value;
        }
    }
    preg_match('/<form[^>]*\saction="([^"]*)"/', $html, $action);
    $origin = parse_url($pageUrl, PHP_URL_SCHEME) . '://' . parse_url($pageUrl, PHP_URL_HOST) . ':' . parse_url($pageUrl, PHP_URL_PORT);
    $curl = curl_init(str_starts_with($action[1], '/') ? $origin . $action[1] : $action[1]);
    curl_setopt_array($curl, [
        // snippet-rules: idempotency-key (the customer's browser submits the challenge form)
        CURLOPT_POSTFIELDS => http_build_query($form),
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
    $card = ['exp_month' => 12, 'exp_year' => 2030, 'cvc' => '123'];
    $orders = [];
    foreach (['order-3001', 'order-3002', 'order-3003', 'order-4001', 'order-4002'] as $id) {
        $orders[$id] = ['id' => $id, 'amount' => 4999, 'attempt' => 1, 'status' => 'awaiting payment', 'payment_id' => null];
    }

    // No challenge: a card without 3-D Secure, a frictionless approval, an issuer's exemption.
    foreach (['order-3001' => '4111111111111111', 'order-3002' => '4000040000010122', 'order-3003' => '4000040000010148'] as $orderId => $number) {
        $step = start_payment($flowlix, $orders[$orderId], $card + ['number' => $number]);
        $secure = $step['three_d_secure'] ?? ['flow' => null, 'liability_shift' => false];
        echo "$orderId -> {$step['next']}; 3-D Secure: " . ($secure['flow'] ?? 'null')
            . ', liability shift: ' . var_export($secure['liability_shift'], true) . "\n";
    }

    // A challenge: the customer completes it at their bank.
    $step = start_payment($flowlix, $orders['order-4001'], $card + ['number' => '4000040000010114']);
    echo "order-4001 -> {$step['next']}\n";
    // Back before answering the challenge (or a forged visit): nothing is fulfilled.
    echo handle_return($flowlix, "payment_id={$orders['order-4001']['payment_id']}", $orders) . "\n";
    $redirect = answer_challenge($step['url'], 'Complete authentication');
    echo 'returned to: ' . parse_url($redirect, PHP_URL_PATH) . "\n";
    echo handle_return($flowlix, parse_url($redirect, PHP_URL_QUERY) ?? '', $orders) . "\n";
    echo "{$orders['order-4001']['status']} liability shift: " . var_export($orders['order-4001']['liability_shift'], true) . "\n";

    // The customer fails the challenge: a customer-safe message, and a new attempt next time.
    $step = start_payment($flowlix, $orders['order-4002'], $card + ['number' => '4000040000010114']);
    $redirect = answer_challenge($step['url'], 'Fail authentication');
    echo handle_return($flowlix, parse_url($redirect, PHP_URL_QUERY) ?? '', $orders) . "\n";
    echo "order-4002 next attempt: {$orders['order-4002']['attempt']}\n";

    echo handle_return($flowlix, 'payment_id=pay_not_one_of_ours', $orders) . "\n";
} catch (FlowlixError $error) {
    fwrite(STDERR, "Flowlix answered {$error->getMessage()}\n");
    exit(1);
} catch (NetworkError $error) {
    fwrite(STDERR, "could not reach Flowlix: {$error->getMessage()}\n");
    exit(1);
}
// Output:
// order-3001 -> fulfil; 3-D Secure: null, liability shift: false
// order-3002 -> fulfil; 3-D Secure: frictionless, liability shift: true
// order-3003 -> fulfil; 3-D Secure: exemption, liability shift: false
// order-4001 -> redirect
// Your bank has not confirmed this payment yet.
// returned to: /payments/return
// Thank you! Order order-4001 is confirmed.
// paid liability shift: true
// We could not confirm this payment with your bank. Please try again or use a different card.
// order-4002 next attempt: 2
// We could not find your payment.
