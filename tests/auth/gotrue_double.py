"""A CONTRACT DOUBLE of Supabase Auth (GoTrue) — not GoTrue itself, which cannot be installed here.

It is a real HTTP server on 127.0.0.1 (uvicorn in a thread) implementing only what sdmd uses, with the
status codes and bodies GoTrue documents:

  POST /auth/v1/token?grant_type=password       {"email","password"} → 200 session | 400 invalid_credentials
  POST /auth/v1/token?grant_type=refresh_token  {"refresh_token"} → 200 session (rotated) |
                                                400 refresh_token_not_found / refresh_token_already_used
  POST /auth/v1/logout?scope=local              Bearer → 204 | 403 session_not_found (repeat) | 401 bad_jwt
  GET  /auth/v1/.well-known/jwks.json           {"keys": [...]} (empty with the legacy HS256 secret)
  any token request while rate limited          429 over_request_rate_limit

Multi-factor authentication (TOTP), as GoTrue's internal/api/mfa.go behaves, all with the user's Bearer:
  GET    /auth/v1/user                          the user, with `factors` (also in every session's `user`)
  POST   /auth/v1/factors                       {"factor_type": "totp", "friendly_name", "issuer"} → {id, type,
                                                friendly_name, totp: {qr_code (bare SVG), secret, uri}};
                                                403 insufficient_aal when a verified factor exists and the
                                                session is aal1; 422 mfa_factor_name_conflict
  POST   /auth/v1/factors/{id}/challenge        → {id, type, expires_at} (remembers the caller's IP)
  POST   /auth/v1/factors/{id}/verify           {"challenge_id", "code"} → a session at aal2 (same session id,
                                                new refresh token); the user's other aal1 sessions and
                                                unverified factors are deleted; 422 mfa_verification_failed,
                                                mfa_challenge_expired, mfa_ip_address_mismatch; 404
                                                mfa_factor_not_found
  DELETE /auth/v1/factors/{id}                  → {id}; 422 insufficient_aal for a verified factor from aal1;
                                                the sessions that verified it fall back to aal1
Sessions remember their aal; a refresh keeps it.

Every request needs the `apikey` header (Kong answers 401 without it). Access tokens carry Supabase's
claims: iss, sub, aud "authenticated", exp, iat, email, phone, role, aal, amr, session_id, is_anonymous.
"""

from __future__ import annotations

import secrets
import socket
import threading
import time
import uuid
from typing import Any

import jwt
import uvicorn
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.auth.gotrue_mfa import MfaRoutes, _Challenge, _error, _Factor, _Session


class GoTrueContractDouble(MfaRoutes):
    def __init__(self, *, algorithm: str = "ES256", jwt_secret: str | None = None, anon_key: str = "anon-key",
                 issuer_path: str = "/auth/v1", lifetime: int = 3600) -> None:
        if algorithm not in ("ES256", "RS256", "HS256"):
            raise ValueError(algorithm)
        self.algorithm = algorithm
        self.jwt_secret = jwt_secret or secrets.token_urlsafe(32)
        self.anon_key = anon_key
        self.issuer_path = issuer_path
        self.lifetime = lifetime
        self.users: dict[str, tuple[str, str]] = {}  # email -> (id, password)
        self.sessions: dict[str, _Session] = {}
        self.factors: dict[str, _Factor] = {}
        self.challenges: dict[str, _Challenge] = {}
        self.keys: list[tuple[str, Any]] = []  # (kid, private key); the last one signs
        self.published: set[str] = set()  # kids listed in the JWKS
        self.rate_limited = 0  # the next N token requests get 429
        self.retry_after: str | None = None
        self.hits: dict[str, int] = {"token": 0, "logout": 0, "jwks": 0, "factors": 0}
        self.lock = threading.Lock()
        if algorithm != "HS256":
            self.rotate_key()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # --- test controls ---
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def issuer(self) -> str:
        return f"{self.url}{self.issuer_path}"

    def add_user(self, email: str, password: str) -> str:
        user_id = str(uuid.uuid4())
        self.users[email] = (user_id, password)
        return user_id

    def rotate_key(self, *, publish: bool = True) -> str:
        """A new signing key; the old ones stay published (as GoTrue does during rotation)."""
        if self.algorithm == "ES256":
            key: Any = ec.generate_private_key(ec.SECP256R1())
        else:
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        kid = secrets.token_hex(8)
        self.keys.append((kid, key))
        if publish:
            self.published.add(kid)
        return kid

    def publish(self, kid: str) -> None:
        self.published.add(kid)

    @property
    def signing_kid(self) -> str | None:
        return self.keys[-1][0] if self.keys else None

    def mint(self, claims: dict[str, Any], *, headers: dict[str, Any] | None = None) -> str:
        if self.algorithm == "HS256":
            return jwt.encode(claims, self.jwt_secret, algorithm="HS256", headers=headers)
        kid, key = self.keys[-1]
        return jwt.encode(claims, key, algorithm=self.algorithm, headers={"kid": kid, **(headers or {})})

    def claims_for(self, user_id: str, email: str, session_id: str, *, now: int | None = None,
                   aal: str = "aal1") -> dict[str, Any]:
        iat = int(now if now is not None else time.time())
        amr = [{"method": "password", "timestamp": iat}]
        if aal == "aal2":
            amr.insert(0, {"method": "totp", "timestamp": iat})
        return {"iss": self.issuer, "sub": user_id, "aud": "authenticated", "exp": iat + self.lifetime,
                "iat": iat, "email": email, "phone": "", "app_metadata": {"provider": "email",
                                                                        "providers": ["email"]},
                "user_metadata": {}, "role": "authenticated", "aal": aal,
                "amr": amr, "session_id": session_id, "is_anonymous": False}

    # --- HTTP ---
    def _session_body(self, session_id: str) -> dict[str, Any]:
        session = self.sessions[session_id]
        claims = self.claims_for(session.user_id, self._email(session.user_id), session_id, aal=session.aal)
        return {"access_token": self.mint(claims), "token_type": "bearer", "expires_in": self.lifetime,
                "expires_at": claims["exp"], "refresh_token": session.refresh_token,
                "user": self._user(session.user_id)}

    def _email(self, user_id: str) -> str:
        return next(e for e, (uid, _) in self.users.items() if uid == user_id)

    def _user(self, user_id: str) -> dict[str, Any]:
        user = {"id": user_id, "aud": "authenticated", "role": "authenticated", "email": self._email(user_id)}
        factors = [f.public() for f in self.user_factors(user_id)]
        if factors:  # omitempty, as GoTrue sends it
            user["factors"] = factors
        return user

    async def _token(self, request: Request) -> Response:
        self.hits["token"] += 1
        if request.headers.get("apikey") != self.anon_key:
            return JSONResponse({"message": "No API key found in request"}, status_code=401)
        if self.rate_limited:
            self.rate_limited -= 1
            headers = {"Retry-After": self.retry_after} if self.retry_after else None
            return _error(429, "over_request_rate_limit", "Request rate limit reached", headers)
        body = await request.json()
        grant = request.query_params.get("grant_type")
        with self.lock:
            if grant == "password":
                user = self.users.get(body.get("email", ""))
                if user is None or user[1] != body.get("password"):
                    return _error(400, "invalid_credentials", "Invalid login credentials")
                session_id = str(uuid.uuid4())
                self.sessions[session_id] = _Session(user[0], secrets.token_urlsafe(9))
                return JSONResponse(self._session_body(session_id))
            if grant == "refresh_token":
                token = body.get("refresh_token", "")
                for session_id, session in self.sessions.items():
                    if session.refresh_token == token:
                        session.used_refresh_tokens.add(token)
                        session.refresh_token = secrets.token_urlsafe(9)
                        return JSONResponse(self._session_body(session_id))
                    if token in session.used_refresh_tokens:
                        return _error(400, "refresh_token_already_used", "Invalid Refresh Token: Already Used")
                return _error(400, "refresh_token_not_found", "Invalid Refresh Token: Refresh Token Not Found")
        return _error(400, "validation_failed", "unsupported_grant_type")

    async def _logout(self, request: Request) -> Response:
        self.hits["logout"] += 1
        if request.headers.get("apikey") != self.anon_key:
            return JSONResponse({"message": "No API key found in request"}, status_code=401)
        if request.query_params.get("scope", "global") not in ("global", "local", "others"):
            return _error(400, "validation_failed", "Unsupported logout scope")
        auth = request.headers.get("authorization", "")
        token = auth.removeprefix("Bearer ").strip()
        try:
            claims = self._verify(token)
        except jwt.PyJWTError as exc:
            return _error(401, "bad_jwt", f"invalid JWT: unable to parse or verify signature, {exc}")
        with self.lock:
            if self.sessions.pop(claims.get("session_id", ""), None) is None:
                return _error(403, "session_not_found", "Session from session_id claim in JWT does not exist")
        return Response(status_code=204)

    def _verify(self, token: str) -> dict[str, Any]:
        if self.algorithm == "HS256":
            return jwt.decode(token, self.jwt_secret, algorithms=["HS256"], audience="authenticated")
        kid = jwt.get_unverified_header(token).get("kid")
        key = dict(self.keys)[kid].public_key()
        return jwt.decode(token, key, algorithms=[self.algorithm], audience="authenticated")

    async def _jwks(self, request: Request) -> Response:
        self.hits["jwks"] += 1
        keys = []
        for kid, key in self.keys:
            if kid not in self.published:
                continue
            algo = jwt.algorithms.ECAlgorithm if self.algorithm == "ES256" else jwt.algorithms.RSAAlgorithm
            jwk = algo.to_jwk(key.public_key(), as_dict=True)
            keys.append({**jwk, "kid": kid, "alg": self.algorithm, "use": "sig", "key_ops": ["verify"]})
        return JSONResponse({"keys": keys}, headers={"Cache-Control": "public, max-age=600"})

    # --- lifecycle ---
    def start(self) -> GoTrueContractDouble:
        app = Starlette(routes=[
            Route("/auth/v1/token", self._token, methods=["POST"]),
            Route("/auth/v1/logout", self._logout, methods=["POST"]),
            Route("/auth/v1/.well-known/jwks.json", self._jwks, methods=["GET"]),
            Route("/auth/v1/user", self._get_user, methods=["GET"]),
            Route("/auth/v1/factors", self._enroll, methods=["POST"]),
            Route("/auth/v1/factors/{factor_id}/challenge", self._challenge, methods=["POST"]),
            Route("/auth/v1/factors/{factor_id}/verify", self._verify_factor, methods=["POST"]),
            Route("/auth/v1/factors/{factor_id}", self._unenroll, methods=["DELETE"]),
        ])
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        self._server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the GoTrue contract double did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (the 'unreachable' case)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
