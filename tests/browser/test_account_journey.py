"""Issue 2, acceptance 2: sign up -> confirmation mail -> confirm -> sign in -> sign out, in a real Chromium
at a phone viewport, in Japanese (the default) and again in English (chosen with the header button)."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-battery-42"

JA = {
    "menu": "メインメニュー", "sign_up": "新規登録", "sign_in": "ログイン", "sign_out": "ログアウト",
    "my_account": "マイアカウント", "email": "メールアドレス", "display_name": "表示名", "password": "パスワード",
    "password_again": "パスワード（確認用）", "language": "表示言語", "terms": "利用規約に同意します",
    "privacy": "プライバシーポリシーに同意します", "create": "アカウントを作成", "check_mail": "メールをご確認ください",
    "subject": "メールアドレスの確認のお願い",
    "confirmed": "ありがとうございます。メールアドレスの確認が完了しました。ログインできます。",
    "signed_out": "ログアウトしました。", "home_heading": "みんなでつくるみどり市",
}
EN = {
    "menu": "Main menu", "sign_up": "Sign up", "sign_in": "Sign in", "sign_out": "Sign out",
    "my_account": "My account", "email": "Email address", "display_name": "Display name", "password": "Password",
    "password_again": "Password again", "language": "Preferred language", "terms": "I agree to the terms of use",
    "privacy": "I agree to the privacy policy", "create": "Create account", "check_mail": "Check your mail",
    "subject": "Please confirm your email address",
    "confirmed": "Thank you. Your email address is confirmed. You can now sign in.",
    "signed_out": "You are signed out.", "home_heading": "Shape Midori City together",
}


def nav(page, words):
    return page.get_by_role("navigation", name=words["menu"])


def expect_signed_out_nav(page, words):
    menu = nav(page, words)
    expect(menu.get_by_role("link", name=words["sign_in"], exact=True)).to_be_visible()
    expect(menu.get_by_role("link", name=words["sign_up"], exact=True)).to_be_visible()
    expect(menu.get_by_role("link", name=words["my_account"])).to_have_count(0)
    expect(menu.get_by_role("button", name=words["sign_out"])).to_have_count(0)


def walk_the_journey(page, words, language, email, outbox, confirmation_link):
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.get_by_role("heading", level=1)).to_have_text(words["home_heading"])
    expect_signed_out_nav(page, words)

    # Sign up
    nav(page, words).get_by_role("link", name=words["sign_up"], exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(words["sign_up"])
    page.get_by_label(words["email"]).fill(email)
    page.get_by_label(words["display_name"]).fill("みどり 花子")
    page.get_by_label(words["password"], exact=True).fill(PASSWORD)
    page.get_by_label(words["password_again"]).fill(PASSWORD)
    # The preferred language is preselected from the language being used.
    checked = page.get_by_role("group", name=words["language"]).get_by_role("radio", checked=True)
    expect(checked).to_have_count(1)
    expect(checked).to_have_value(language)
    page.get_by_label(words["terms"]).check()
    page.get_by_label(words["privacy"]).check()
    page.get_by_role("button", name=words["create"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(words["check_mail"])

    # The confirmation mail, in the same language
    mails = [mail for mail in outbox() if mail["To"] == email]
    assert len(mails) == 1
    assert mails[0]["Subject"] == words["subject"]
    link = confirmation_link(email)

    # Confirm: lands on the sign-in page with a thank-you
    page.goto(link)
    expect(page).to_have_url(re.compile(r"/account/sign-in"))
    expect(page.get_by_role("status")).to_contain_text(words["confirmed"])

    # Sign in
    page.get_by_label(words["email"]).fill(email)
    page.get_by_label(words["password"], exact=True).fill(PASSWORD)
    page.get_by_role("button", name=words["sign_in"], exact=True).click()
    menu = nav(page, words)
    expect(menu.get_by_role("link", name=words["my_account"])).to_be_visible()
    expect(menu.get_by_role("button", name=words["sign_out"])).to_be_visible()
    expect(menu.get_by_role("link", name=words["sign_in"], exact=True)).to_have_count(0)
    expect(page.locator("html")).to_have_attribute("lang", language)

    # Sign out
    menu.get_by_role("button", name=words["sign_out"]).click()
    expect(page.get_by_role("status")).to_contain_text(words["signed_out"])
    expect_signed_out_nav(page, words)


def test_sign_up_confirm_sign_in_sign_out_in_japanese(page, outbox, confirmation_link):
    page.goto("/")
    walk_the_journey(page, JA, "ja", "hanako.ja@example.jp", outbox, confirmation_link)


def test_sign_up_confirm_sign_in_sign_out_in_english(page, outbox, confirmation_link):
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("button", name="日本語")).to_be_visible()
    walk_the_journey(page, EN, "en", "hanako.en@example.jp", outbox, confirmation_link)
