"""Drives Debian's headless Chromium through Playwright for tests/e2e/test_dashboard.py.

It runs as its own process (``python tests/e2e/dashboard_browser.py < plan.json``): the
test process is monkey-patched by eventlet, under which Playwright's sync API stalls.

The plan: {"root": "http://127.0.0.1:port", "artifacts": dir, "sessions": [session, ...]}.
Each session is one fresh browser context {"viewport": {"width", "height"}, "mobile": bool,
"steps": [...]}, a step one of
  {"goto": path, "as": key, "charts": bool}  -> values[key] = {"status", "url"}
  {"fill": [selector, value]}   {"click": selector}   {"upload": [selector, file path]}
  {"select": [selector, value]} (an option of a <select>)   {"check": selector} (tick a box)
  {"text": [key, selector]}     -> the first match's inner text, stripped
  {"texts": [key, selector, attribute|null]}  -> every match's text or attribute
  {"eval": [key, javascript]}   -> the expression's value
  {"cookies": key}              -> the context's cookies
  {"clear_cookies": true}       forget every cookie (a browser restarted on an open page)
  {"shot": name}                -> a full-page PNG under artifacts/
  {"shot": name, "of": selector} -> a PNG of the first element it matches
  {"shot": name, "full": false} -> a PNG of what the window shows
The answer, on stdout: [{"values", "errors", "outside"} per session]: ``errors`` the page's
uncaught script errors and what the Content-Security-Policy blocked, ``outside`` every
request not to the gateway (the test machine's browser has no internet, so the chart
library must come from the gateway)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def run_session(browser, root: str, artifacts: Path, session: dict) -> dict:
    mobile = bool(session.get("mobile"))
    context = browser.new_context(viewport=session.get("viewport") or {"width": 1280, "height": 900},
                                  is_mobile=mobile, has_touch=mobile,
                                  device_scale_factor=2 if mobile else 1, locale="zh-CN")
    context.set_default_timeout(20000)
    page = context.new_page()
    requests, errors, values = [], [], {}
    page.on("request", lambda r: requests.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    # what the gateway's Content-Security-Policy blocked is an error too
    page.on("console", lambda m: errors.append(f"console: {m.text}")
            if m.type == "error" and "Content Security Policy" in m.text else None)
    try:
        for step in session["steps"]:
            if "goto" in step:
                response = page.goto(root + step["goto"])
                page.wait_for_load_state("load")
                if step.get("charts", True):
                    # drawn, or found to have nothing to draw (dashboard.js marks both)
                    page.wait_for_function("() => [...document.querySelectorAll('.chart')]"
                                           ".every(c => c.hasAttribute('data-rendered'))")
                if step.get("as"):
                    values[step["as"]] = {"status": response.status if response else None,
                                          "url": page.url}
            elif "fill" in step:
                page.fill(*step["fill"])
            elif "select" in step:
                page.select_option(*step["select"])
            elif "check" in step:
                page.check(step["check"])
            elif "upload" in step:  # {"upload": [selector, path]}: a file chosen in a file input
                page.set_input_files(*step["upload"])
            elif "click" in step:
                page.click(step["click"])
                page.wait_for_load_state("load")
            elif "text" in step:
                key, selector = step["text"]
                found = page.locator(selector)
                values[key] = found.first.inner_text().strip() if found.count() else None
            elif "texts" in step:
                key, selector, attribute = step["texts"]
                values[key] = [(e.get_attribute(attribute) if attribute else e.inner_text().strip())
                               for e in page.locator(selector).all()]
            elif "eval" in step:
                key, expression = step["eval"]
                values[key] = page.evaluate(expression)
            elif "cookies" in step:
                values[step["cookies"]] = context.cookies()
            elif "clear_cookies" in step:
                context.clear_cookies()
            elif "shot" in step:
                artifacts.mkdir(parents=True, exist_ok=True)
                path = str(artifacts / f"{step['shot']}.png")
                if step.get("of"):
                    page.locator(step["of"]).first.screenshot(path=path)
                else:
                    page.screenshot(path=path, full_page=step.get("full", True))
            else:
                raise ValueError(f"unknown step {step}")
    except Exception as err:  # report what happened so far, and the failing step
        errors.append(f"step failed: {type(err).__name__}: {err}")
    finally:
        context.close()
    outside = [u for u in requests if not u.startswith(root) and not u.startswith(("data:", "blob:"))]
    return {"values": values, "errors": errors, "outside": outside}


def main() -> None:
    from playwright.sync_api import sync_playwright
    plan = json.load(sys.stdin)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            answers = [run_session(browser, plan["root"], Path(plan["artifacts"]), s)
                       for s in plan["sessions"]]
        finally:
            browser.close()
    json.dump(answers, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
