"""Browser tests: the real app over HTTP, driven by Debian's Chromium through Playwright."""
