"""Settings → Security in a real browser: set up two-factor login from the QR code's secret, log out, log in
again in two steps (TOTP, then a recovery code), require 2FA for everyone, make and revoke an API token.
The shared `page` fixture fails the test on any CSP violation along the way."""

from __future__ import annotations

import re

import pyotp
from playwright.sync_api import Page, expect

from tests.support_auth import TEST_EMAIL, TEST_PASSWORD, ensure_user
from tests.web.conftest import LiveServer, log_in, shot


def password_step(page: Page, url: str, email: str = TEST_EMAIL) -> None:
    page.goto(f"{url}/login/")
    page.fill("#username", email)
    page.fill("#password", TEST_PASSWORD)
    page.click("[data-testid=login-submit]")


def test_two_factor_login_and_api_tokens(page: Page, live_server: LiveServer) -> None:
    url = live_server.url
    log_in(page, url)
    page.get_by_role("link", name="Settings").first.click()
    page.get_by_role("navigation", name="Settings").get_by_role("link", name="Security").click()
    page.wait_for_url(f"{url}/settings/security/")
    expect(page.get_by_test_id("mfa-state")).to_have_text("off")
    page.get_by_test_id("mfa-start").click()
    expect(page.get_by_test_id("mfa-qr")).to_be_visible()
    assert page.get_by_test_id("mfa-qr").evaluate("img => img.naturalWidth") > 0  # the data: image rendered
    secret = page.get_by_test_id("mfa-secret").inner_text().strip()
    totp = pyotp.TOTP(secret)
    shot(page, "20-security-enrol")
    page.fill("[data-testid=mfa-enable-code]", "000000")
    page.get_by_test_id("mfa-enable-submit").click()
    expect(page.get_by_test_id("error-message")).to_have_text("invalid two-factor code")
    page.fill("[data-testid=mfa-enable-code]", totp.now())
    page.get_by_test_id("mfa-enable-submit").click()
    expect(page.get_by_test_id("mfa-enabled")).to_be_visible()
    codes = page.get_by_test_id("recovery-code").all_inner_texts()
    assert len(codes) == 10
    shot(page, "21-security-recovery-codes")

    # Log out; logging in now takes a code. A wrong one is said plainly.
    page.get_by_test_id("logout").click()
    page.wait_for_url(re.compile(r"/login/"))
    password_step(page, url)
    expect(page.get_by_test_id("mfa-form")).to_be_visible()
    page.fill("[data-testid=mfa-code]", "000000")
    page.click("[data-testid=mfa-submit]")
    expect(page.get_by_test_id("error-message")).to_have_text("invalid two-factor code")
    page.get_by_test_id("mfa-use-recovery").click()
    page.fill("[data-testid=mfa-code]", codes[0])
    page.click("[data-testid=mfa-submit]")
    page.wait_for_url(f"{url}/")

    # Require 2FA for everyone; someone without it is sent to enrol and can do nothing else meanwhile.
    page.goto(f"{url}/settings/security/")
    page.get_by_test_id("require-mfa").click()
    expect(page.get_by_test_id("require-mfa")).to_be_checked()
    expect(page.get_by_test_id("mfa-state")).to_have_text("on")

    # An API token: shown once, listed, revoked.
    page.fill("[data-testid=token-name]", "ci deploy")
    page.get_by_test_id("token-create").click()
    secret_token = page.get_by_test_id("token-secret").inner_text().strip()
    assert secret_token.startswith("sdmd_pat_")
    assert live_server.api(secret_token).get("/api/services").status_code == 200
    expect(page.get_by_test_id("token-row")).to_have_count(1)
    shot(page, "22-security-token")
    page.get_by_test_id("token-revoke").click()
    page.get_by_test_id("confirm-action").click()
    expect(page.get_by_test_id("token-row")).to_have_count(0)
    assert live_server.api(secret_token).get("/api/services").status_code == 401


def test_someone_who_must_enrol_is_sent_to_the_security_page(page: Page, live_server: LiveServer) -> None:
    from sdmd.auth.identity import CLI

    url = live_server.url
    ensure_user(live_server.core, "new@example.com")
    live_server.core.auth.policy.set_require_mfa(True, actor=CLI)
    password_step(page, url, "new@example.com")
    page.wait_for_url(f"{url}/settings/security/?required=1")
    expect(page.get_by_test_id("mfa-required-banner")).to_be_visible()
    # Elsewhere the API answers 403 with the step-up signal; the UI comes back here.
    page.goto(f"{url}/schedules/")
    page.wait_for_url(f"{url}/settings/security/?required=1")
    page.get_by_test_id("mfa-start").click()
    secret = page.get_by_test_id("mfa-secret").inner_text().strip()
    page.fill("[data-testid=mfa-enable-code]", pyotp.TOTP(secret).now())
    page.get_by_test_id("mfa-enable-submit").click()
    expect(page.get_by_test_id("mfa-enabled")).to_be_visible()
    # The session is aal2 now (new tokens saved in the tab): the rest of sdmd opens.
    page.goto(f"{url}/schedules/")
    expect(page.get_by_role("heading", name="Schedules")).to_be_visible()
    assert page.url == f"{url}/schedules/"
