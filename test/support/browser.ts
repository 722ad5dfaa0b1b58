// Headless Chromium for the browser tests, from `npm install` alone: the npm package
// @sparticuz/chromium ships the binary inside the package; Debian's `chromium` is the fallback.
import { existsSync } from 'node:fs'
import type { Browser } from 'playwright-core'

const SYSTEM = ['/usr/bin/chromium', '/usr/bin/chromium-browser']

export async function launchChromium(): Promise<Browser> {
  const { chromium: playwright } = await import('playwright-core')
  try {
    const { default: sparticuz } = await import('@sparticuz/chromium')
    // Its args are tuned for one page per Lambda: --single-process ends the browser with the first closed page.
    const args = sparticuz.args.filter((a) => a !== '--single-process')
    return await playwright.launch({ executablePath: await sparticuz.executablePath(), args, headless: true })
  } catch (error) {
    const system = SYSTEM.find((p) => existsSync(p))
    if (system === undefined) throw error
    return await playwright.launch({ executablePath: system, args: ['--no-sandbox', '--headless=new'], headless: true })
  }
}
