// Test support, loaded with `node --import`: the program's own waits are recorded in the file
// SLEEP_LOG names, then fire at once (as tests/test_snippets.py does for Python's time.sleep).
import { appendFileSync } from "node:fs";

const realSetTimeout = globalThis.setTimeout;
const program = process.argv[1];
globalThis.setTimeout = (callback, delay = 0, ...args) => {
  if (!new Error().stack.includes(program)) return realSetTimeout(callback, delay, ...args);
  appendFileSync(process.env.SLEEP_LOG, `${delay / 1000}\n`);
  return realSetTimeout(callback, 0, ...args);
};
