"""The moderation commands: domain blocks round-trip (every command's --help: tests/backchannel/test_cli.py)."""
from __future__ import annotations

import subprocess
import sys


def run(*args: str, data=None) -> subprocess.CompletedProcess:  # noqa: ANN001
    settings = ["--data", str(data), "--domain", "acme.test", "--insecure-http"] if data else []
    return subprocess.run([sys.executable, "-m", "backchannel", *args, *settings], capture_output=True,
                          text=True, timeout=120)


def test_domain_block_list_unblock(tmp_path):
    out = run("domain", "block", "Spam.Example.", "--severity", "silence", "--reject-media",
              "--public-comment", "spam", "--private-comment", "seen in March", data=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "blocked spam.example (silence, media rejected)"
    listing = run("domain", "list", data=tmp_path).stdout
    assert "spam.example  silence  reject-media  public: spam  private: seen in March" in listing
    # blocking again changes the block
    run("domain", "block", "spam.example", data=tmp_path)
    assert "spam.example  suspend" in run("domain", "list", data=tmp_path).stdout
    assert run("domain", "unblock", "spam.example", data=tmp_path).stdout.strip() == "unblocked spam.example"
    assert "blocked domains (0):" in run("domain", "list", data=tmp_path).stdout
    again = run("domain", "unblock", "spam.example", data=tmp_path)
    assert again.returncode == 1 and "spam.example is not blocked" in again.stderr
    bad = run("domain", "block", "not a domain", data=tmp_path)
    assert bad.returncode == 1 and "not a domain name" in bad.stderr


def test_accounts_and_invites(tmp_path):
    assert run("user", "create", "troll", data=tmp_path).returncode == 0
    for verb, said in (("silence", "silenced"), ("unsilence", "unsilenced"), ("sensitive", "marked sensitive"),
                       ("unsensitive", "unmarked sensitive"), ("disable", "disabled"),
                       ("enable", "enabled"), ("suspend", "suspended"), ("unsuspend", "unsuspended")):
        out = run("account", verb, "@troll", data=tmp_path)
        assert out.stdout.strip() == f"{said} troll@acme.test", out.stderr
    missing = run("account", "suspend", "nobody", data=tmp_path)
    assert missing.returncode == 1 and "no account 'nobody'" in missing.stderr
    created = run("invite", "create", "--max-uses", "3", "--expires-in", "48", data=tmp_path).stdout
    code = created.split()[1].rstrip(":")
    assert f"http://acme.test/invite/{code}" in created and "uses: 0 of 3" in created
    assert code in run("invite", "list", data=tmp_path).stdout
    assert run("invite", "revoke", code, data=tmp_path).returncode == 0
    assert "(no longer valid)" in run("invite", "list", data=tmp_path).stdout
    assert run("report", "list", data=tmp_path).stdout.strip() == "no unresolved reports"
    missing_report = run("report", "resolve", "12345", data=tmp_path)
    assert missing_report.returncode == 1 and missing_report.stderr == "backchannel: no report #12345\n"
    assert run("account", "delete", "troll", data=tmp_path).stdout.strip() == "deleted troll@acme.test"
    # the name stays taken, the login is gone
    assert run("user", "create", "troll", data=tmp_path).returncode == 1
    assert run("token", "create", "troll", data=tmp_path).returncode == 1
