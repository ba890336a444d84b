"""Browser check (issue 17 defect 6): open the running Dagster UI in headless Chromium and
assert that the brief's charts load on the `daily_brief_report` asset page.

    python tests/browser_check.py http://127.0.0.1:3000      # against a running `dagster dev`

It opens the asset page, opens the `brief` metadata entry ("Show Markdown"), and counts the
images that finished loading with a real size. Exit 0 when at least --min-images loaded, 1
when not, 77 when Chromium (Debian package `chromium`) or the `websockets` module is absent.
tests/defs/test_browser.py runs it against a webserver of its own.
Talks to Chromium over the DevTools protocol: no browser-driver package needed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

SKIP = 77
ASSET_PATH = "/assets/daily_brief_report"

# Run in the page: the images that loaded (complete, with a natural size), by alt text.
LOADED_IMAGES = """JSON.stringify(Array.from(document.images)
  .filter(i => i.complete && i.naturalWidth > 0 && i.src.startsWith('data:image/png'))
  .map(i => [i.alt, i.naturalWidth, i.naturalHeight]))"""
# Open the markdown of the metadata entry named `brief` (the first "Show Markdown" after it).
OPEN_BRIEF = """(() => {
  // a first visit shows Dagster's "Join the community" dialog over the page: skip it
  const skip = Array.from(document.querySelectorAll('[role=dialog] button'))
    .find(b => b.textContent.trim() === 'Skip');
  if (skip) { skip.click(); return 'dismissed the welcome dialog'; }
  const cells = Array.from(document.querySelectorAll('td, div, span'))
    .filter(e => e.childElementCount === 0 && e.textContent.trim() === 'brief');
  for (const cell of cells) {
    const row = cell.closest('tr') || cell.parentElement;
    // the innermost element with the text: the one whose click handler opens the dialog
    const button = row && Array.from(row.querySelectorAll('button, a, span'))
      .filter(b => /show markdown/i.test(b.textContent)).pop();
    if (button) { button.click(); return 'opened'; }
  }
  const any = Array.from(document.querySelectorAll('button, a, span'))
    .filter(b => /show markdown/i.test(b.textContent))[0];
  if (any) { any.click(); return 'opened-first'; }
  return document.body ? 'no button yet' : 'no body';
})()"""


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Page:
    def __init__(self, ws):
        self.ws, self.next_id = ws, 0

    async def call(self, method: str, **params):
        self.next_id += 1
        await self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(await self.ws.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    async def evaluate(self, expression: str):
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")


async def _check(debug_port: int, url: str, min_images: int, timeout: float) -> tuple[bool, str]:
    import websockets

    with urllib.request.urlopen(f"http://127.0.0.1:{debug_port}/json/list", timeout=10) as resp:
        targets = [t for t in json.loads(resp.read()) if t.get("type") == "page"]
    async with websockets.connect(targets[0]["webSocketDebuggerUrl"], max_size=None) as ws:
        page = Page(ws)
        await page.call("Page.enable")
        await page.call("Page.navigate", url=url.rstrip("/") + ASSET_PATH)
        deadline, state, loaded = time.monotonic() + timeout, "", []
        while time.monotonic() < deadline:
            await asyncio.sleep(1)
            if not state.startswith("opened"):
                state = await page.evaluate(OPEN_BRIEF) or ""
                continue
            loaded = json.loads(await page.evaluate(LOADED_IMAGES) or "[]")
            if len(loaded) >= min_images:
                return True, f"{len(loaded)} chart images loaded: " + ", ".join(f"{a} ({w}x{h})" for a, w, h in loaded)
        text = (await page.evaluate("document.body ? document.body.innerText.slice(0, 600) : ''")) or ""
        return False, f"after {timeout:.0f}s: markdown {state or 'not opened'}, {len(loaded)} image(s) loaded; page: {text!r}"


def check(url: str, min_images: int = 1, timeout: float = 90) -> tuple[bool | None, str]:
    """(True, what loaded) / (False, why not) / (None, why skipped)."""
    browser = chromium()
    if browser is None:
        return None, "chromium not installed (apt-get install chromium)"
    try:
        import websockets  # noqa: F401
    except ImportError:
        return None, "python module websockets not installed"
    port = _free_port()
    with tempfile.TemporaryDirectory() as profile:
        proc = subprocess.Popen(
            [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             f"--remote-debugging-port={port}", f"--user-data-dir={profile}", "--window-size=1400,1000",
             "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/json/version", timeout=2).close()
                    break
                except OSError:
                    time.sleep(0.3)
            else:
                return False, "chromium's DevTools endpoint did not come up within 30 s"
            return asyncio.run(_check(port, url, min_images, timeout))
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?", default="http://127.0.0.1:3000", help="the Dagster UI")
    parser.add_argument("--min-images", type=int, default=1, help="images that must load (default 1)")
    parser.add_argument("--timeout", type=float, default=90)
    args = parser.parse_args(argv)
    ok, message = check(args.url, args.min_images, args.timeout)
    print(("OK: " if ok else "SKIPPED: " if ok is None else "FAILED: ") + message)
    return 0 if ok else SKIP if ok is None else 1


if __name__ == "__main__":
    sys.exit(main())
