// What the browser scripts share: t/browser/manager.mjs (the test, run by
// t/browser.t) and t/browser/screenshots.mjs (the README's pictures, run by
// harness/screenshots.py) load playwright-core and start Debian's chromium
// the same way, and see the page in the same window, so that a picture of
// the demo looks like what the test checked.

import { createRequire } from 'node:module';
import path from 'node:path';

// Where things are, from the environment (see each script's header).
export function where(env) {
    return {
        pwDir: path.resolve(env.CHARON_PLAYWRIGHT_DIR || 'build/browser'),
        chromium: env.CHARON_CHROMIUM || '/usr/bin/chromium',
    };
}

// playwright-core's chromium launcher, from pwDir/node_modules (npm ci of
// t/browser/package-lock.json: scripts/deps.sh --browser). Throws an Error
// that says how to install it.
export function loadChromium(pwDir) {
    try {
        const require = createRequire(path.join(pwDir, 'node_modules', 'x.js'));
        return require('playwright-core').chromium;
    } catch (e) {
        throw new Error(`cannot load playwright-core from ${pwDir}/node_modules `
                        + `(scripts/deps.sh --browser installs it): ${e.message}`);
    }
}

// Debian's chromium, not one playwright downloads. --no-sandbox: the
// scripts run as root in CI, and chromium will not start as root with its
// sandbox.
export function launch(chromium, executablePath) {
    return chromium.launch({ executablePath, args: ['--no-sandbox'] });
}

// One window size, language and zone for every page and picture, so that
// the pictures of one run and the next are alike.
export function contextOptions(user, pass) {
    return {
        httpCredentials: { username: user, password: pass },
        viewport: { width: 1280, height: 800 },
        deviceScaleFactor: 1,
        locale: 'en-US',
        timezoneId: 'UTC',
    };
}
