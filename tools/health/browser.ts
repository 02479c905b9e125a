/**
 * Debian's headless Chromium (`chromium`, from .ci/install-deps.sh) driven by playwright-core,
 * which has no install script and downloads no browser: it launches the binary it is given. One
 * page per call, in a fresh browser with a fresh profile; launching and every page action are
 * bounded in time, and the browser (its whole process group) is closed when the call ends, also
 * when it fails.
 */
import { chromium, type Page } from "playwright-core";
import { which } from "../../lib/process";

export interface PageOptions {
  /** The viewport in CSS pixels, and so the size of a screenshot. @default 1200 x 800 */
  readonly viewport?: { readonly width: number; readonly height: number };
  /** Bound on launching the browser, loading the page and each action on it. @default 60_000 */
  readonly timeoutMs?: number;
  /** The browser binary. @default `chromium` from PATH (/usr/bin/chromium on Debian) */
  readonly executablePath?: string;
}

/**
 * Loads `url`, then stops the page where it is (`window.stop()` cancels a pending meta refresh,
 * so what `use` reads and photographs is one load of the page), runs `use(page)` and closes the
 * browser.
 */
export async function withPage<T>(
  url: string,
  use: (page: Page) => Promise<T>,
  options: PageOptions = {},
): Promise<T> {
  const timeout = options.timeoutMs ?? 60_000;
  const browser = await chromium.launch({
    executablePath: options.executablePath ?? which("chromium"),
    headless: true,
    // CI runs as root, where Chromium's sandbox cannot start.
    chromiumSandbox: false,
    timeout,
  });
  try {
    const page = await browser.newPage({
      viewport: options.viewport ?? { width: 1200, height: 800 },
    });
    page.setDefaultTimeout(timeout);
    page.setDefaultNavigationTimeout(timeout);
    await page.goto(url, { waitUntil: "load" });
    await page.evaluate("window.stop()");
    return await use(page);
  } finally {
    await browser.close();
  }
}
