<?php
// Test support, PHP's auto_prepend_file with usleep in disable_functions: the program's waits are
// recorded in the file SLEEP_LOG names instead of waited (as tests/test_snippets.py does for
// Python's time.sleep).
function usleep(int $microseconds): void
{
    file_put_contents(getenv('SLEEP_LOG'), ($microseconds / 1_000_000) . "\n", FILE_APPEND);
}
