// Debian's Chromium driven by playwright-core: where it is, how to start it, and what to do when it
// is missing (skip with a message locally, fail on CI). No browser is ever downloaded.
import { existsSync } from 'node:fs';
import { describe, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';

/** `apt-get install -y chromium` puts it here; CHROMIUM_PATH overrides. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM_PATH);
export const onCI = process.env.CI === 'true';

// Without the background-networking flags Chromium keeps dialling Google on this closed network.
const FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/**
 * `describe` for tests that need Chromium: runs them when it is installed; otherwise fails on CI
 * (CI=true) and skips locally, saying so.
 */
export function describeChromium(name: string, body: () => void): void {
  if (hasChromium) describe(name, body);
  else if (onCI) {
    describe(name, () => {
      it('needs Chromium', () => {
        throw new Error(`${CHROMIUM_PATH} not found: the browser tests must run on CI (.ci/run installs it with apt-get install -y chromium)`);
      });
    });
  } else {
    console.warn(`\n*** SKIPPED "${name}": no Chromium at ${CHROMIUM_PATH} (apt-get install -y chromium, or set CHROMIUM_PATH). On CI this is a failure. ***\n`);
    describe.skipIf(true)(name, body); // skipped only here, locally, and said so above
  }
}

/**
 * A headless Chromium. Playwright's `launch` gives it a fresh, empty --user-data-dir of its own
 * and deletes it on close; `close()` is bounded so a stuck browser cannot hang the suite.
 */
export async function launchChromium(): Promise<{ browser: Browser; close(): Promise<void> }> {
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: FLAGS, timeout: 30_000 });
  return {
    browser,
    close: async () => {
      await Promise.race([browser.close(), new Promise((r) => setTimeout(r, 10_000))]);
    },
  };
}
