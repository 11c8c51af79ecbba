"""Settings come from options, BACKCHANNEL_* variables and a TOML file, in that order."""
import pytest

from backchannel.config import Config, ConfigError, database_url, load_config


def test_defaults_serve_localhost_over_http_with_sqlite_in_data():
    cfg = load_config({}, environ={})
    assert cfg.base_url == "http://localhost:8080"
    assert cfg.listen_host_port == ("127.0.0.1", 8080)
    assert cfg.database_url.startswith("sqlite+aiosqlite:///") and cfg.database_url.endswith("data/backchannel.sqlite3")


def test_a_real_domain_means_https():
    assert load_config({"domain": "learn.acme.example"}, environ={}).base_url == "https://learn.acme.example"


def test_precedence_option_over_environment_over_file(tmp_path):
    conf = tmp_path / "bc.toml"
    conf.write_text('domain = "file.example"\ntitle = "From the file"\nmax_status_chars = 1000\n')
    env = {"BACKCHANNEL_DOMAIN": "env.example", "BACKCHANNEL_INSECURE_HTTP": "true"}
    cfg = load_config({"domain": "option.example"}, config_file=str(conf), environ=env)
    assert (cfg.domain, cfg.title, cfg.max_status_chars, cfg.insecure_http) == (
        "option.example", "From the file", 1000, True)
    assert load_config({}, config_file=str(conf), environ=env).domain == "env.example"


def test_resolve_entries():
    cfg = load_config({"resolve": ["acme.test=127.0.0.1:8081"]},
                      environ={"BACKCHANNEL_RESOLVE": "x.test=127.0.0.1:1"})
    assert cfg.resolve == {"acme.test": ("127.0.0.1", 8081)}
    assert load_config({}, environ={"BACKCHANNEL_RESOLVE": "a.test=127.0.0.1:1,b.test=[::1]:2"}).resolve == {
        "a.test": ("127.0.0.1", 1), "b.test": ("::1", 2)}


@pytest.mark.parametrize("options, message", [
    ({"resolve": ["nonsense"]}, "HOST=IP:PORT"),
    ({"federation_mode": "sometimes"}, "federation_mode"),
    ({"listen": "nowhere"}, "--listen"),
    ({"database": "mysql://x"}, "unsupported database"),
    ({"max_status_chars": "many"}, "number"),
    ({"insecure_http": "perhaps"}, "true or false"),
])
def test_bad_settings_are_explained(options, message):
    with pytest.raises(ConfigError, match=message):
        load_config(options, environ={})


def test_unknown_key_in_file_is_refused(tmp_path):
    conf = tmp_path / "bc.toml"
    conf.write_text('domian = "typo.example"\n')
    with pytest.raises(ConfigError, match="domian"):
        load_config({}, config_file=str(conf), environ={})


def test_database_urls():
    assert database_url("postgresql://u@h/db", "d") == "postgresql+asyncpg://u@h/db"
    assert database_url("/var/lib/bc.db", "d") == "sqlite+aiosqlite:////var/lib/bc.db"


def test_config_is_frozen():
    with pytest.raises(AttributeError):
        Config().domain = "x"  # type: ignore[misc]


def test_an_extra_that_is_not_installed_is_named_with_its_install_command(monkeypatch):
    # As on a node installed with the README's `pip install -e .` alone
    monkeypatch.setattr("backchannel.config.installed", lambda module: False)
    with pytest.raises(ConfigError, match=r"postgres extra: pip install -e '\.\[postgres\]'"):
        load_config({"database": "postgresql://u@h/db"}, environ={})
    with pytest.raises(ConfigError, match=r"s3 extra: pip install -e '\.\[s3\]'"):
        load_config({}, environ={"BACKCHANNEL_MEDIA_STORAGE": "s3", "BACKCHANNEL_S3_BUCKET": "b"})
    assert load_config({}, environ={}).is_sqlite  # SQLite and local media need no extra
