"""OpenID providers for the single sign-on tests, on loopback.

`OidcProvider` runs npm's oidc-provider (a real, OpenID-certified provider) with node; it is
installed with npm into the interop cache on first use, and tests skip with the reason when that
cannot be done. `FakeProvider` is a provider of our own whose ID tokens a test can spoil (another
issuer, audience or nonce, a foreign key, an expired token), to show each one is refused.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from aiohttp import web
from joserfc import jwt
from joserfc.jwk import RSAKey

from tests.rig.fake_remote import FakeRemote
from tests.rig.nodes import _die_with_parent, free_port

HOME = Path(os.environ.get("INTEROP_HOME", Path.home() / ".cache" / "backchannel-interop")) / "oidc-provider"
SCRIPT = Path(__file__).with_name("oidc_provider.mjs")
VERSION = "8"


def install_reason() -> str | None:
    """None once oidc-provider can run here; otherwise why not (the tests skip with it)."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        return "node and npm are needed to run oidc-provider"
    if not (HOME / "node_modules" / "oidc-provider" / "package.json").exists():
        HOME.mkdir(parents=True, exist_ok=True)
        if not (HOME / "package.json").exists():
            (HOME / "package.json").write_text('{"name": "backchannel-oidc-rig", "private": true}\n')
        try:
            result = subprocess.run(["npm", "install", "--no-audit", "--no-fund", f"oidc-provider@{VERSION}"],
                                    cwd=HOME, capture_output=True, text=True, timeout=600)
        except (OSError, subprocess.TimeoutExpired) as err:
            return f"npm install oidc-provider failed: {err}"
        if result.returncode != 0:
            return f"npm install oidc-provider failed: {result.stderr.strip()[-300:]}"
    return None


def _wait_for(url: str, proc: subprocess.Popen | None, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the provider exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer")


@dataclass
class OidcProvider:
    """npm's oidc-provider with one client and the given people (login -> claims)."""
    client_id: str
    client_secret: str
    redirect_uris: list[str]
    accounts: dict[str, dict]
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "OidcProvider":
        # ES modules resolve packages from the script's folder: run a copy beside node_modules.
        script = HOME / "backchannel_oidc_provider.mjs"
        script.write_text(SCRIPT.read_text())
        client = {"client_id": self.client_id, "client_secret": self.client_secret,
                  "redirect_uris": self.redirect_uris}
        env = {**os.environ, "OIDC_PORT": str(self.port), "OIDC_CLIENT": json.dumps(client),
               "OIDC_ACCOUNTS": json.dumps(self.accounts)}
        self.log = open(HOME / f"provider-{self.port}.log", "wb")
        self.proc = subprocess.Popen(["node", str(script)], cwd=HOME, env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
        _wait_for(self.issuer + "/.well-known/openid-configuration", self.proc)
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()


@dataclass
class FakeProvider(FakeRemote):
    """A minimal provider of our own (served like the rig's fake remote server): it signs in whoever
    asks at once and issues the ID token `spoil` makes of the correct claims (None: the correct one)."""
    domain: str = "127.0.0.1"
    client_id: str = ""
    claims: dict = field(default_factory=dict)
    spoil: object = None  # callable(claims: dict) -> (claims, key to sign with or None)
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "good"}))
    codes: dict[str, dict] = field(default_factory=dict)

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _handle(self, request: web.Request) -> web.Response:
        routes = {("GET", "/.well-known/openid-configuration"): self._metadata, ("GET", "/authorize"): self._authorize,
                  ("POST", "/token"): self._token, ("GET", "/jwks"): self._jwks}
        handler = routes.get((request.method, request.path))
        return await handler(request) if handler else web.json_response({"error": "not_found"}, status=404)

    async def _metadata(self, request: web.Request) -> web.Response:
        return web.json_response({
            "issuer": self.issuer, "authorization_endpoint": self.issuer + "/authorize",
            "token_endpoint": self.issuer + "/token", "jwks_uri": self.issuer + "/jwks",
            "response_types_supported": ["code"], "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"]})

    async def _authorize(self, request: web.Request) -> web.Response:
        query = request.query
        code = f"code-{time.time_ns()}"
        self.codes[code] = {"nonce": query.get("nonce"), "client_id": query.get("client_id")}
        raise web.HTTPFound(query["redirect_uri"] + "?" + urlencode({"code": code, "state": query.get("state", "")}))

    async def _token(self, request: web.Request) -> web.Response:
        form = await request.post()
        sent = self.codes.pop(str(form.get("code")), None)
        if sent is None:
            return web.json_response({"error": "invalid_grant"}, status=400)
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": self.client_id, "sub": "fake-subject", "iat": now, "exp": now + 300,
                  "nonce": sent["nonce"], **self.claims}
        key = self.key
        if self.spoil is not None:
            claims, other = self.spoil(claims)  # type: ignore[operator]
            key = other or key
        token = jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)
        return web.json_response({"access_token": f"at-{time.time_ns()}", "token_type": "Bearer",
                                  "id_token": token, "expires_in": 300})

    async def _jwks(self, request: web.Request) -> web.Response:
        return web.json_response({"keys": [self.key.as_dict(private=False)]})
