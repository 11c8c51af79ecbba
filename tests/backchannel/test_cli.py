"""The `backchannel` command as an admin uses it."""
import argparse
import subprocess
import sys

import pytest

from backchannel.cli import build_parser, main


def run(*args, stdin=None, cwd=None):
    return subprocess.run([sys.executable, "-m", "backchannel", *args], input=stdin, capture_output=True,
                          text=True, timeout=120, cwd=cwd)


def _commands(parser: argparse.ArgumentParser, words: list[str]):
    """Every command and subcommand the parser knows, with its parser, top first."""
    yield words, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _commands(sub, [*words, name])


def test_queue_commands_know_every_queue():
    from backchannel.cli import QUEUE_NAMES
    from models.queue_stats import QUEUES

    assert QUEUE_NAMES == list(QUEUES)


def test_the_installed_command_answers_help():
    result = run("--help")
    assert result.returncode == 0 and "usage: backchannel" in result.stdout and "serve" in result.stdout


def test_every_command_and_subcommand_answers_help_and_bad_arguments_in_one_line(capsys):
    # Walked in-process through the one parser `main` uses, so a command added later is covered too
    walked = list(_commands(build_parser(), []))
    assert len(walked) > 50 and ["scim", "token", "revoke"] in [w for w, _ in walked]
    for words, parser in walked:
        with pytest.raises(SystemExit) as done:
            main([*words, "--help"])
        out = capsys.readouterr().out
        assert done.value.code == 0 and out.startswith("usage: backchannel " + " ".join(words)), words
        assert parser.description and len(parser.description) > 10, f"{words}: no description"
        for action in parser._actions:  # every option, argument and subcommand says what it is
            helps = [c.help for c in action._choices_actions] if isinstance(action, argparse._SubParsersAction) \
                else [action.help]
            assert all(helps), f"{words}: {action.dest} has no help"
        # A bad argument is one line on stderr that points at --help, exit status 2
        with pytest.raises(SystemExit) as done:
            main([*words, "--no-such-option"])
        err = capsys.readouterr().err
        prog = " ".join(["backchannel", *words])
        assert done.value.code == 2 and err.count("\n") == 1 and f"(see `{prog} --help`)" in err, (words, err)


def test_user_and_token_creation(tmp_path):
    data = ["--data", str(tmp_path), "--domain", "acme.test"]
    created = run("user", "create", "alice", "--admin", *data)
    assert created.returncode == 0, created.stderr
    assert "created @alice@acme.test (admin)" in created.stdout
    assert "password: " in created.stdout

    again = run("user", "create", "alice", *data)
    assert again.returncode == 1 and "taken" in again.stderr

    # One e-mail address is one person's (sign-in finds people by it, without case): each refusal one line
    for args, said in ((["carol", "--email", "ALICE@acme.test"], "the e-mail address ALICE@acme.test belongs to "
                                                                 "another account"),
                       (["carol", "--email", "carol"], "'carol' is not an e-mail address"),
                       (["dave", "--email", "alice@acme.test"], "belongs to another account")):
        refused = run("user", "create", *args, *data)
        assert refused.returncode == 1 and said in refused.stderr and refused.stderr.count("\n") == 1, refused.stderr
    run("user", "create", "erin", "--email", "dave@acme.test", *data)  # so dave's own address is erin's
    taken = run("user", "create", "dave", *data)
    assert taken.returncode == 1 and taken.stderr == ("backchannel: the e-mail address dave@acme.test belongs to "
                                                      "another account; give one with --email\n")
    assert "carol" not in run("user", "list", *data).stdout

    short = run("user", "create", "bob", "--password-stdin", *data, stdin="short\n")
    assert short.returncode == 1 and "8 characters" in short.stderr

    token = run("token", "create", "alice", "--scopes", "read", *data)
    assert token.returncode == 0 and len(token.stdout.strip()) >= 32

    missing = run("token", "create", "nobody", *data)
    assert missing.returncode == 1 and missing.stderr == "backchannel: no local account named 'nobody'\n"

    for scopes, said in (("read wirte", "unknown scope 'wirte'"), ("", "no scope given")):
        refused = run("token", "create", "alice", "--scopes", scopes, *data)
        assert refused.returncode == 1 and refused.stderr.startswith(f"backchannel: {said} (scopes are read")
        assert refused.stderr.count("\n") == 1 and refused.stdout == ""


def test_migrate_is_idempotent(tmp_path):
    first = run("migrate", "--data", str(tmp_path))
    second = run("migrate", "--data", str(tmp_path))
    assert first.returncode == 0 and "migrated from empty" in first.stdout
    assert second.returncode == 0 and "already up to date" in second.stdout


def test_bad_settings_exit_2_with_a_reason(tmp_path):
    result = run("serve", "--data", str(tmp_path), "--resolve", "nonsense")
    assert result.returncode == 2 and "HOST=IP:PORT" in result.stderr


def test_serve_with_no_options_serves_localhost_8080_from_data(tmp_path):
    import socket
    import urllib.request

    from tests.rig.nodes import eventually, machine_lock

    # 8080 is one port for the whole machine: parallel workers and other runs take turns.
    with machine_lock("port-8080"):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", 8080)) == 0:
                pytest.skip("something else listens on 127.0.0.1:8080")
        proc = subprocess.Popen([sys.executable, "-m", "backchannel", "serve"], cwd=tmp_path,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            def ready():
                assert proc.poll() is None, "the default node exited"
                with urllib.request.urlopen("http://127.0.0.1:8080/api/v1/instance", timeout=2) as resp:
                    return resp.status == 200 and resp.read()
            body = eventually(ready, timeout=30, message="the default node answers")
            assert b'"uri":"localhost:8080"' in body.replace(b" ", b"")
            assert (tmp_path / "data" / "backchannel.sqlite3").exists()
        finally:
            proc.terminate()
            proc.wait(10)
